"""Training settings of the encoder tagger: layer-wise learning rates and warm-up.

``training`` keys read here (configs/encoder.yaml):

- ``lr``: the head's learning rate (the BiGRU and the output layer).
- ``encoder_lr``: the top encoder layer's learning rate; each layer below gets
  ``layer_lr_decay`` times the rate of the layer above, the embeddings the
  rate of a layer below the lowest (layer-wise learning-rate decay).
- ``warmup_steps``: the rates rise linearly from 0 over this many optimizer steps,
- ``decay``: ``linear`` (then fall linearly to 0 at the last step of the run) or
  ``constant``.

The schedule is a function of the optimizer's own step count (kept in its state
and in every checkpoint), so a resumed run continues the same schedule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import torch

from ner_helpers.errors import KitError

ENCODER_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
DECAYS = ("linear", "constant")
_LAYER = re.compile(r"\.layer\.(\d+)\.")


def layer_groups(predictor: torch.nn.Module, training: Mapping[str, Any]) -> list[dict]:
    """Parameter groups with their learning rates (see the module's docstring)."""
    head_lr = float(training.get("lr", 1e-3))
    encoder_lr = float(training.get("encoder_lr", 3e-5))
    decay = float(training.get("layer_lr_decay", 1.0))
    if not 0.0 < decay <= 1.0:
        raise KitError(f"training.layer_lr_decay must be in (0, 1], got {decay}")
    layers = int(predictor.config.num_hidden_layers)
    groups: dict[str, dict] = {}
    for name, parameter in predictor.named_parameters():
        if not name.startswith("model.encoder."):
            key, lr = "head", head_lr
        else:
            found = _LAYER.search(name)
            if found:
                depth = layers - 1 - int(found.group(1))  # 0 for the top layer
                key, lr = f"layer {found.group(1)}", encoder_lr * decay ** depth
            elif ".embeddings." in name:
                key, lr = "embeddings", encoder_lr * decay ** layers
            else:
                key, lr = "encoder other", encoder_lr
        groups.setdefault(key, {"params": [], "lr": lr, "name": key})["params"].append(parameter)
    return list(groups.values())


def encoder_optimizer(predictor: torch.nn.Module, training: Mapping[str, Any],
                      total_steps: int) -> torch.optim.Optimizer:
    """Adam or AdamW over :func:`layer_groups`, with the warm-up and decay schedule."""
    name = training.get("optimizer", "adamw")
    if name not in ENCODER_OPTIMIZERS:
        raise KitError(f"training.optimizer of an encoder must be one of "
                       f"{sorted(ENCODER_OPTIMIZERS)}, got {name!r}")
    settings: dict[str, Any] = {"weight_decay": float(training.get("weight_decay", 0.0))}
    if training.get("fused_optimizer", False):
        settings["fused"] = True
    optimizer = ENCODER_OPTIMIZERS[name](layer_groups(predictor, training), **settings)
    for group in optimizer.param_groups:
        group["base_lr"] = group["lr"]
    warmup = int(training.get("warmup_steps", 0))
    shape = training.get("decay", "linear")
    if warmup < 0 or shape not in DECAYS:
        raise KitError(f"training.warmup_steps must be >= 0 and training.decay one of {DECAYS}")
    total = max(int(total_steps), 1)

    def factor(step: int) -> float:
        """The share of each group's base rate at optimizer step ``step`` (1-based)."""
        if warmup and step <= warmup:
            return step / warmup
        if shape == "linear":
            return max(0.0, (total - step) / max(total - warmup, 1))
        return 1.0

    def before_step(opt: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        step = _steps_taken(opt) + 1
        for group in opt.param_groups:
            group["lr"] = group["base_lr"] * factor(step)

    optimizer.register_step_pre_hook(before_step)
    return optimizer


def _steps_taken(optimizer: torch.optim.Optimizer) -> int:
    """Steps the optimizer has taken, read from its state (saved in checkpoints)."""
    for state in optimizer.state.values():
        step = state.get("step")
        if step is not None:
            return int(step)
    return 0


def total_training_steps(num_rows: int, batch_size: int, epochs: int) -> int:
    """Optimizer steps of a run: one per batch (a short last batch too) per epoch."""
    return math.ceil(num_rows / max(batch_size, 1)) * max(epochs, 1)
