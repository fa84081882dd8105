"""The layer rule (``submission.max_layers`` of kit.yaml), checked on the model itself.

A submitted model's ``config.json`` says how many layers it has, but the
model that is built and scored is what its ``weights.pt`` and the student's
code make of it. The grader therefore loads ``weights.pt`` itself, as tensors
only (``torch.load(weights_only=True)``, memory-mapped, with bounds on the
entries and their dimensions), and counts the layers from the state dict,
without trusting the child process:

- FFNN: ``model.W`` reads the embeddings, ``model.U.<k>`` are the further
  hidden layers and ``model.V`` the output: ``1 + len(U)`` layers, and
  ``matrices - 1`` counting every weight matrix (2-D tensor) under ``model.``;
- RNN: ``model.W.<k>`` and ``model.U.<k>`` per layer and ``model.V``: the
  number of distinct ``k``, and ``(matrices - 1) / 2`` rounded up.

The larger of the two counts is the model's. The child also reports the
weight matrices of the model it built (:func:`layers_from_matrices` reads
that report); either count above the limit refuses the model.
"""

from __future__ import annotations

import math
import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.grader.settings import InputLimits

MODEL_PREFIX = "model."
#: How torch's message names what its weights-only unpickler refused.
REFUSAL = "WeightsUnpickler error:"
#: What a student whose weights.pt holds more than tensors should do instead.
WEIGHTS_HINT = ("save the model's state_dict() (tensors only) with torch.save, as "
                "NERPredictor.save does")
_INDEXED = re.compile(r"^model\.(W|U)\.(\d+)\.")


class WeightsProblem(Exception):
    """``weights.pt`` cannot be read as a state dict of tensors within the bounds."""


@dataclass(frozen=True)
class LayerCount:
    """The layers of a model read from its weights."""

    layers: int
    matrices: int
    named: int


def layers_from_matrices(model_type: str, matrices: int) -> int:
    """Layers implied by the number of weight matrices of an FFNN or RNN."""
    if model_type == "rnn":
        return math.ceil(max(matrices - 1, 0) / 2)
    return max(matrices - 1, 0)


def load_state_dict(path: Path, limits: InputLimits) -> Mapping[str, Any]:
    """``weights.pt`` as tensors only; raises :class:`WeightsProblem` with a short reason."""
    import torch

    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # an older, non-zip file: read it whole (unpack bounds its size)
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 (any way a file can be broken)
        lines = [line.strip() for line in str(exc).splitlines()]
        refused = next((line for line in lines if line.startswith(REFUSAL)), "")
        if isinstance(exc, pickle.UnpicklingError) and refused:
            reason = refused.removeprefix(REFUSAL).strip().split(". ")[0][:200]
            raise WeightsProblem("it holds more than tensors, so torch.load(weights_only=True) "
                                 f"refused it ({reason}); {WEIGHTS_HINT}") from None
        text = str(exc).strip()
        reason = text.splitlines()[0][:200] if text else ""
        raise WeightsProblem(f"it cannot be loaded as tensors only ({type(exc).__name__}"
                             f"{': ' + reason if reason else ''})") from None
    if not isinstance(state, Mapping):
        raise WeightsProblem(f"it holds a {type(state).__name__}, not a state dict")
    if len(state) > limits.weights_tensors:
        raise WeightsProblem(f"it holds {len(state)} entries, more than the limit of "
                             f"{limits.weights_tensors}")
    for key, value in state.items():
        if not isinstance(key, str):
            raise WeightsProblem("a key of its state dict is not a string")
        if not isinstance(value, torch.Tensor):
            raise WeightsProblem(f"{key[:80]!r} holds a {type(value).__name__}, not a tensor")
        if value.dim() > limits.weights_dims:
            raise WeightsProblem(f"{key[:80]!r} has {value.dim()} dimensions, more than "
                                 f"{limits.weights_dims}")
    return state


def count_layers(state: Mapping[str, Any], model_type: str) -> LayerCount:
    """The layers of an FFNN or RNN state dict (see the module's description)."""
    matrices = sum(1 for key, value in state.items()
                   if key.startswith(MODEL_PREFIX) and value.dim() == 2)
    indices: dict[str, set[int]] = {"W": set(), "U": set()}
    for key in state:
        found = _INDEXED.match(key)
        if found:
            indices[found.group(1)].add(int(found.group(2)))
    if model_type == "rnn":
        named = len(indices["W"] | indices["U"])
    else:
        named = len(indices["U"]) + (1 if any(key.startswith("model.W.") for key in state)
                                     else 0)
    return LayerCount(max(named, layers_from_matrices(model_type, matrices)), matrices, named)
