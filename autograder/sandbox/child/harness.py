"""Test doubles and runners shared by the child (with student classes) and the grader
(with the reference classes), so both sides run exactly the same code around
the class under test.

Nothing here knows the reference solution: the lookup tokenizer answers from a
table the grader computed. The trainer tests' doubles are in
:mod:`autograder.sandbox.child.trainer_harness`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn


def outcome(action: Callable[[], Any], describe: Callable[[BaseException], dict]) -> dict:
    """``{"ok": result}`` or ``{"error": description}`` of one call into student code."""
    try:
        return {"ok": action()}
    except BaseException as exc:  # noqa: BLE001 (student code may raise anything, SystemExit too)
        return {"error": describe(exc)}


# ---------------------------------------------------------------------------- tokenizer double
def lookup_key(tokens: Sequence[str], max_length: int | None, padding_side: str,
               truncation_side: str) -> str:
    return json.dumps([list(tokens), max_length, padding_side, truncation_side])


class LookupTokenizer:
    """Stands in for the student's tokenizer in the collator tests.

    It has the attributes of the kit's ``Tokenizer`` (``token2id``, ``id2token``,
    ``pad_id``, ``unk_id``, ``lowercase``, ``vocab_size``...), so a collator that
    reads the vocabulary directly works too; ``tokenize`` answers from a table
    of reference tokenizations keyed by its arguments.
    """

    def __init__(self, vocab: Sequence[str], lowercase: bool, pad_token: str, unk_token: str,
                 table: Sequence[Sequence[Any]]) -> None:
        self.pad_token = pad_token
        self.unk_token = unk_token
        self.lowercase = lowercase
        self.token2id = {token: index for index, token in enumerate(vocab)}
        self.id2token = {index: token for index, token in enumerate(vocab)}
        self._table = {key: (list(ids), list(mask)) for key, ids, mask in table}

    @property
    def vocab_size(self) -> int:
        return len(self.token2id)

    @property
    def pad_id(self) -> int:
        return self.token2id[self.pad_token]

    @property
    def unk_id(self) -> int:
        return self.token2id[self.unk_token]

    def tokenize(self, input_seq: str | Sequence[str], max_length: int | None = None,
                 padding_side: str = "right",
                 truncation_side: str = "right") -> dict[str, torch.Tensor]:
        tokens = input_seq.split() if isinstance(input_seq, str) else [str(t) for t in input_seq]
        if max_length is not None:
            max_length = int(max_length)
        key = lookup_key(tokens, max_length, padding_side, truncation_side)
        if key not in self._table:
            raise LookupError(
                f"the grader's tokenizer has no answer for tokenize({tokens!r}, "
                f"max_length={max_length!r}, padding_side={padding_side!r}, "
                f"truncation_side={truncation_side!r}); pass the sentence's tokens and the "
                "batch's length and sides"
            )
        ids, mask = self._table[key]
        return {"input_ids": torch.tensor(ids, dtype=torch.long),
                "padding_mask": torch.tensor(mask, dtype=torch.long)}

    def __len__(self) -> int:
        return self.vocab_size


# ---------------------------------------------------------------------------- modules
def describe_module(model: nn.Module) -> dict[str, Any]:
    """Parameters (name, shape, trainable) and the layout of the W, U, V layers."""
    parameters = [[name, list(p.shape), bool(p.requires_grad)]
                  for name, p in model.named_parameters()]
    layers: dict[str, Any] = {}
    for attribute in ("W", "U", "V", "embedding"):
        layer = getattr(model, attribute, None)
        if layer is None:
            continue
        entry: dict[str, Any] = {"type": type(layer).__name__}
        if isinstance(layer, (nn.ModuleList, nn.Sequential)):
            entry["length"] = len(layer)
            entry["items"] = [type(item).__name__ for item in layer]
        if isinstance(layer, nn.Embedding):
            entry["padding_idx"] = layer.padding_idx
            entry["shape"] = list(layer.weight.shape)
        layers[attribute] = entry
    return {"parameters": parameters,
            "num_parameters": sum(p.numel() for p in model.parameters()),
            "layers": layers}


class _Recorder:
    """Forward hooks: the outputs of named sub-modules, one list per name."""

    def __init__(self, model: nn.Module, names: Sequence[str]) -> None:
        modules = dict(model.named_modules())
        self.outputs: dict[str, list[torch.Tensor]] = {name: [] for name in names}
        self.missing = [name for name in names if name not in modules]
        self.handles = [modules[name].register_forward_hook(self._hook(name))
                        for name in names if name in modules]

    def _hook(self, name: str) -> Callable[..., None]:
        def save(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if isinstance(output, torch.Tensor):
                self.outputs[name].append(output.detach().clone())
        return save

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()


def run_module(model_class: type, ctor: Mapping[str, Any], state: Mapping[str, Any] | None,
               inputs: Sequence[Mapping[str, Any]], hooks: Sequence[str],
               describe: Callable[[BaseException], dict], backward: bool = False,
               init_weights: bool = False, seed: int = 0) -> dict[str, Any]:
    """Build ``model_class(**ctor)``, optionally load ``state`` (strictly, by name), and run
    it on each input ``{"x": tensor, "h0": tensor or None}``.

    An input may also hold ``"layer"``: the name of a sub-layer to call on ``x``
    instead of the whole module (``"embedding"``: the layer made in ``__init__``,
    without the module's ``forward``), or ``"embedding"``: ``{"weight": FloatTensor[V, D],
    "padding_idx": int}``, which first replaces the module's ``embedding`` by torch's
    ``nn.Embedding`` with that table and padding index (so ``forward`` is judged on a
    correct layer, whatever ``__init__`` made).

    Returns the module's description, the load outcome, and per input either
    ``{"ok": {"out", "activations", "grads", "requires_grad"}}`` or ``{"error": ...}``.
    """
    torch.manual_seed(seed)
    built = outcome(lambda: model_class(**ctor), describe)
    if "error" in built:
        return {"constructed": built}
    model = built["ok"]
    report: dict[str, Any] = {"constructed": {"ok": True}}
    info = outcome(lambda: describe_module(model), describe)
    report["info"] = info
    if init_weights:
        report["init"] = outcome(lambda: _call_none(model.init_weights), describe)
        report["after_init"] = {name: t.detach().clone()
                                for name, t in model.state_dict().items()}
    if state is not None:
        report["load"] = outcome(
            lambda: _call_none(model.load_state_dict, dict(state), strict=True), describe)
        if "error" in report["load"]:
            return report
    results = []
    for item in inputs:
        results.append(outcome(lambda item=item: _forward(model, item, hooks, backward),
                               describe))
    report["runs"] = results
    return report


def _call_none(function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call ``function`` and drop its result (only success or failure is reported)."""
    function(*args, **kwargs)


def _layer(model: nn.Module, name: str) -> nn.Module:
    """The sub-layer ``model.<name>``, which must be a torch module."""
    layer = getattr(model, name, None)
    if not isinstance(layer, nn.Module):
        raise TypeError(f"self.{name} is a {type(layer).__name__}, not a torch.nn layer")
    return layer


def _standard_embedding(model: nn.Module, spec: Mapping[str, Any]) -> None:
    """Replace ``model.embedding`` by ``nn.Embedding`` with the table ``spec["weight"]``
    FloatTensor[V, D] and the padding index ``spec["padding_idx"]``."""
    model.embedding = nn.Embedding.from_pretrained(
        spec["weight"].detach().clone(), freeze=False, padding_idx=int(spec["padding_idx"]))


def _forward(model: nn.Module, item: Mapping[str, Any], hooks: Sequence[str],
             backward: bool) -> dict[str, Any]:
    if item.get("embedding") is not None:
        _standard_embedding(model, item["embedding"])
    model.zero_grad(set_to_none=True)
    target = _layer(model, str(item["layer"])) if item.get("layer") else model
    recorder = _Recorder(model, hooks)
    try:
        args = [item["x"]]
        if item.get("h0") is not None:
            args.append(item["h0"])
        output = target(*args)
    finally:
        recorder.close()
    result: dict[str, Any] = {"out": output, "missing_hooks": recorder.missing,
                              "activations": recorder.outputs}
    if backward:
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"forward returned a {type(output).__name__}, not a tensor")
        # An output cut off from the parameters (computed under torch.no_grad(), or
        # detached) gets no backward pass: no gradient reaches any parameter.
        result["requires_grad"] = bool(output.requires_grad)
        if output.requires_grad:
            weights = torch.linspace(0.5, 1.5, output.numel()).reshape(output.shape)
            (output * weights.to(output.dtype)).sum().backward()
        result["grads"] = {name: (None if p.grad is None else p.grad.detach().clone())
                           for name, p in model.named_parameters()}
    return result
