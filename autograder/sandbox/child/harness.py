"""Test doubles and runners shared by the child (with student classes) and the grader
(with the reference classes), so both sides run exactly the same code around
the class under test.

Nothing here knows the reference solution: the lookup tokenizer answers from a
table the grader computed, the trainer harness uses plain torch layers and a
collator that stacks tensors the grader padded.
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


# ---------------------------------------------------------------------------- trainer doubles
class HarnessTagger(nn.Module):
    """A plain tagger for the trainer tests: embedding, tanh layer, output layer.

    ``forward(input_ids LongTensor[B, L]) -> logits FloatTensor[B, L, O]``. Every
    call is logged: the module's mode, whether gradients were being recorded,
    and what it was given. Gradient hooks keep the gradient of the latest
    backward pass of each parameter (before it is added to ``.grad``), so the
    optimizer can tell fresh gradients from accumulated ones.
    """

    def __init__(self, vocab_size: int, dim: int, num_tags: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.hidden = nn.Linear(dim, dim)
        self.output = nn.Linear(dim, num_tags)
        self.calls: list[dict[str, Any]] = []
        self.zero_grad_calls = 0
        self.fresh: dict[str, torch.Tensor] = {}
        for name, parameter in self.named_parameters():
            parameter.register_hook(self._keeper(name))

    def _keeper(self, name: str) -> Callable[[torch.Tensor], None]:
        def keep(grad: torch.Tensor) -> None:
            self.fresh[name] = grad.detach().clone()
        return keep

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.zero_grad_calls += 1
        super().zero_grad(set_to_none=set_to_none)

    def forward(self, input_ids: Any, *args: Any, **kwargs: Any) -> torch.Tensor:
        entry: dict[str, Any] = {"training": self.training,
                                 "grad_enabled": torch.is_grad_enabled(),
                                 "argument": type(input_ids).__name__,
                                 "extra_arguments": len(args) + len(kwargs)}
        if isinstance(input_ids, torch.Tensor):
            entry["shape"] = list(input_ids.shape)
            entry["dtype"] = str(input_ids.dtype).replace("torch.", "")
        self.calls.append(entry)
        if not isinstance(input_ids, torch.Tensor):
            raise TypeError(f"the model expects the input ids tensor, got a "
                            f"{type(input_ids).__name__}")
        return self.output(torch.tanh(self.hidden(self.embedding(input_ids))))


class HarnessCollator:
    """Batches rows ``{"row": i, ...}`` by stacking pre-padded tensors (all rows have the
    same length), so the trainer tests do not depend on the student's collator."""

    def __init__(self, tensors: Mapping[str, torch.Tensor]) -> None:
        self.tensors = {key: value.clone() for key, value in tensors.items()}
        self.batches: list[list[int]] = []

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        index = [int(row["row"]) for row in rows]
        self.batches.append(index)
        return {key: value[index].clone() for key, value in self.tensors.items()}


def _total_norm(tensors: Any) -> float | None:
    tensors = [t for t in tensors if t is not None]
    if not tensors:
        return None
    return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t.double())
                                                       for t in tensors])))


class RecordingSGD:
    """Plain SGD (``p -= lr * p.grad``) on a :class:`HarnessTagger` that logs every step
    and zero_grad.

    It has the optimizer methods a trainer uses (``zero_grad``, ``step``,
    ``param_groups``, ``state_dict``) without deriving from
    ``torch.optim.Optimizer``, whose first use imports the slow ``torch._dynamo``.
    Each step records the norm of the gradients it applies (``grad_norm``), the
    norm of the latest backward pass' gradients (``fresh_norm``; equal unless
    the gradients were clipped or accumulated), whether any gradient held more
    than the latest backward pass (``accumulated``: it points elsewhere than
    the fresh gradient), and whether no gradient was there at all (``missing``).
    """

    def __init__(self, model: HarnessTagger, lr: float) -> None:
        self.model = model
        self.param_groups = [{"params": list(model.parameters()), "lr": lr}]
        self.state: dict[Any, Any] = {}
        self.zero_grad_calls = 0
        self.records: list[dict[str, Any]] = []

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        grads = {name: p.grad for name, p in self.model.named_parameters()}
        fresh = dict(self.model.fresh)
        present = [g for g in grads.values() if g is not None and bool(g.abs().sum() > 0)]
        accumulated = False
        for name, grad in grads.items():
            latest = fresh.get(name)
            if grad is None or latest is None:
                continue
            grad_norm, latest_norm = grad.double().norm(), latest.double().norm()
            if latest_norm < 1e-12 or grad_norm < 1e-12:
                accumulated |= bool(grad_norm > 1e-12)
                continue
            cosine = (grad.double() * latest.double()).sum() / (grad_norm * latest_norm)
            accumulated |= bool(cosine < 0.9999)
        self.records.append({"grad_norm": _total_norm(present), "fresh_norm": _total_norm(
            fresh.values()), "accumulated": accumulated, "missing": not present})
        self.model.fresh = {}
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is not None:
                    parameter.add_(parameter.grad, alpha=-group["lr"])
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.zero_grad_calls += 1
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                if set_to_none:
                    parameter.grad = None
                else:
                    parameter.grad.zero_()

    def state_dict(self) -> dict[str, Any]:
        return {"state": {}, "param_groups": [{"lr": g["lr"]} for g in self.param_groups]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for group, saved in zip(self.param_groups, state.get("param_groups", [])):
            group["lr"] = saved.get("lr", group["lr"])


def run_trainer_epoch(trainer_class: type, spec: Mapping[str, Any],
                      describe: Callable[[BaseException], dict]) -> dict[str, Any]:
    """Build a trainer of ``trainer_class`` around the harness and run one epoch.

    ``spec``: ``vocab_size``, ``dim``, ``num_tags``, ``state`` (the harness
    model's initial weights), ``train`` and ``val`` (tensors ``input_ids``,
    ``padding_mask``, ``labels`` [N, L] plus ``tags``, the tag strings of each
    row), ``batch_size``, ``seed``, ``lr``, ``grad_clip_max_norm``,
    ``use_class_weights``, ``epoch`` (``"train"`` or ``"eval"``) and
    ``initial_mode`` (the mode the model is left in before the epoch).
    """
    model = HarnessTagger(int(spec["vocab_size"]), int(spec["dim"]), int(spec["num_tags"]))
    model.load_state_dict(spec["state"])
    optimizer = RecordingSGD(model, lr=float(spec["lr"]))

    def rows(split: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [{"row": i, "NER": list(tags)} for i, tags in enumerate(split["tags"])]

    tensors = {key: spec["train"][key] for key in ("input_ids", "padding_mask", "labels")}
    collator = HarnessCollator(tensors)
    val = spec.get("val")
    val_rows = None
    if val is not None:
        # The harness collator indexes one table: validation rows follow the training rows.
        offset = len(spec["train"]["tags"])
        collator.tensors = {key: torch.cat([tensors[key], val[key]]) for key in tensors}
        val_rows = [{"row": offset + i, "NER": list(tags)} for i, tags in enumerate(val["tags"])]

    built = outcome(lambda: trainer_class(
        model, optimizer, collator, rows(spec["train"]), val_rows,
        grad_clip_max_norm=spec.get("grad_clip_max_norm"),
        use_class_weights=bool(spec.get("use_class_weights", False)), device="cpu",
        batch_size=int(spec["batch_size"]), seed=int(spec["seed"]), show_progress=False),
        describe)
    if "error" in built:
        return {"constructed": built}
    trainer = built["ok"]
    model.train(spec.get("initial_mode", "train") == "train")
    for parameter in model.parameters():
        parameter.grad = None
    epoch = trainer._train_epoch if spec["epoch"] == "train" else trainer._eval_epoch
    result = outcome(epoch, describe)
    return {
        "constructed": {"ok": True},
        "result": result,
        "state_after": {name: t.detach().clone() for name, t in model.state_dict().items()},
        "grads_after": {name: (None if p.grad is None else p.grad.detach().clone())
                        for name, p in model.named_parameters()},
        "calls": model.calls,
        "steps": optimizer.records,
        "zero_grad_calls": optimizer.zero_grad_calls + model.zero_grad_calls,
        "batches": collator.batches,
        "mode_after": "train" if model.training else "eval",
    }
