"""The trainer tests' doubles and runner, shared by the child (with the student's
``Trainer``) and the grader (with the reference ``Trainer``), so both sides run
exactly the same code around the class under test.

The student's trainer runs around a known-good model (:class:`HarnessTagger`),
a collator that stacks tensors the grader padded (:class:`HarnessCollator`) and
plain SGD (:class:`HarnessSGD`). The test fixes the batches: the runner gives
the trainer loaders whose batches are lists of row numbers chosen by the test,
so a loop over ``self.train_loader``, over ``enumerate(...)``, over the
progress wrapper or with ``iter()``/``next()`` sees the same batches in the
same order, and nothing is drawn from a random generator.

Nothing the child reports decides a verdict unless the grader can check it
against values it computes itself: the epoch's returned scores, the weights
after the epoch and after each optimizer step. The model makes its mode and
its gradient mode show in those values:

- in training mode it multiplies its hidden features by a fixed mask (a
  dropout whose mask never changes), so a training epoch run in evaluation
  mode, or an evaluation epoch run in training mode, gives other losses;
- built with ``probe=True`` it adds 1 in place to a parameter ``probe`` on
  every forward pass. Torch itself refuses that in-place change of a leaf that
  requires gradients while gradients are being tracked, so an evaluation
  epoch that tracks gradients fails inside torch, and ``probe`` counts the
  forward passes that ran without gradient tracking.

The calls logged by the model (mode, gradient mode, argument type) only help
to word a message; they never decide a verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch._C import _set_grad_enabled
from torch.utils.data import DataLoader

from .harness import outcome

#: The fixed dropout mask: feature ``d`` of the hidden layer is dropped when
#: ``d % MASK_PERIOD == MASK_DROPPED`` and the others are scaled to keep the mean.
MASK_PERIOD, MASK_DROPPED = 3, 1


def fixed_mask(dim: int) -> torch.Tensor:
    """FloatTensor[dim]: 0 at the dropped features, ``MASK_PERIOD / (MASK_PERIOD - 1)``
    elsewhere."""
    keep = (torch.arange(dim) % MASK_PERIOD) != MASK_DROPPED
    return keep.float() * (MASK_PERIOD / (MASK_PERIOD - 1))


class HarnessTagger(nn.Module):
    """A plain tagger for the trainer tests: embedding, tanh layer, fixed-mask dropout
    in training mode, output layer.

    ``forward(input_ids LongTensor[B, L]) -> logits FloatTensor[B, L, O]``.

    Args:
        vocab_size, dim, num_tags: the sizes V, D and O.
        probe: add the parameter ``probe`` FloatTensor[1], increased by 1 in place
            on every forward pass (torch refuses this while gradients are tracked).
        lock_mode: ``"train"`` or ``"eval"`` makes the forward pass behave as in
            that mode whatever ``self.training`` says (the grader uses it for the
            results a trainer in the wrong mode would give; the child never does).
    """

    def __init__(self, vocab_size: int, dim: int, num_tags: int, probe: bool = False,
                 lock_mode: str | None = None) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.hidden = nn.Linear(dim, dim)
        self.output = nn.Linear(dim, num_tags)
        self.probe = nn.Parameter(torch.zeros(1)) if probe else None
        self.register_buffer("mask", fixed_mask(dim), persistent=False)
        self.lock_mode = lock_mode
        self.calls: list[dict[str, Any]] = []

    def forward(self, input_ids: Any, *args: Any, **kwargs: Any) -> torch.Tensor:
        self.calls.append({"training": self.training, "grad_enabled": torch.is_grad_enabled(),
                           "argument": type(input_ids).__name__})
        if not isinstance(input_ids, torch.Tensor):
            raise TypeError(f"the model expects the input ids tensor, got a "
                            f"{type(input_ids).__name__}")
        if self.probe is not None:
            self.probe.add_(1.0)
        hidden = torch.tanh(self.hidden(self.embedding(input_ids)))  # [B, L, D]
        training = self.training if self.lock_mode is None else self.lock_mode == "train"
        if training:
            hidden = hidden * self.mask
        return self.output(hidden)


class HarnessCollator:
    """Batches rows ``{"row": i, ...}`` by stacking pre-padded tensors (all rows have the
    same length), so the trainer tests do not depend on the student's collator."""

    def __init__(self, tensors: Mapping[str, torch.Tensor]) -> None:
        self.tensors = {key: value.clone() for key, value in tensors.items()}

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        index = [int(row["row"]) for row in rows]
        return {key: value[index].clone() for key, value in self.tensors.items()}


class HarnessSGD:
    """Plain SGD (``p -= lr * p.grad``) that keeps a copy of the weights after every step.

    It has the optimizer methods a trainer uses (``zero_grad``, ``step``,
    ``param_groups``, ``state_dict``) without deriving from
    ``torch.optim.Optimizer``, whose first use imports the slow ``torch._dynamo``.
    """

    def __init__(self, model: nn.Module, lr: float) -> None:
        self.model = model
        self.param_groups = [{"params": list(model.parameters()), "lr": lr}]
        self.state: dict[Any, Any] = {}
        self.after_steps: list[dict[str, torch.Tensor]] = []

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is not None:
                    parameter.add_(parameter.grad, alpha=-group["lr"])
        self.after_steps.append(weights_of(self.model))
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
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


def weights_of(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every parameter, by name."""
    return {name: parameter.detach().clone() for name, parameter in model.named_parameters()}


def fixed_loader(rows: Sequence[Mapping[str, Any]], batches: Sequence[Sequence[int]],
                 collator: Callable[[list], dict[str, torch.Tensor]]) -> DataLoader:
    """A loader that yields the batches ``rows[i] for i in batch`` in the given order,
    however it is iterated, and draws from no generator of its own."""
    return DataLoader(list(rows), batch_sampler=[list(batch) for batch in batches],
                      collate_fn=collator)


def run_trainer_epoch(trainer_class: type, spec: Mapping[str, Any],
                      describe: Callable[[BaseException], dict],
                      lock_mode: str | None = None) -> dict[str, Any]:
    """Build a trainer of ``trainer_class`` around the harness and run one epoch.

    ``spec``: ``vocab_size``, ``dim``, ``num_tags``, ``probe`` (see
    :class:`HarnessTagger`), ``state`` (the model's initial weights), ``train``
    and ``val`` (tensors ``input_ids``, ``padding_mask``, ``labels`` [N, L] plus
    ``tags``, the tag strings of each row), ``train_batches`` and
    ``val_batches`` (the row numbers of each batch, in order), ``batch_size``,
    ``seed``, ``lr``, ``grad_clip_max_norm``, ``use_class_weights``, ``epoch``
    (``"train"`` or ``"eval"``), ``initial_mode`` (the mode the model is left in
    before the epoch) and ``stale_grads`` (gradients left on the parameters
    before the epoch, by name, or none).

    Returns ``constructed`` and ``result`` (outcomes), ``weights_after`` (the
    parameters after the epoch), ``after_steps`` (the parameters after each
    optimizer step), and for messages only ``calls`` (how the model was called).
    """
    model = HarnessTagger(int(spec["vocab_size"]), int(spec["dim"]), int(spec["num_tags"]),
                          probe=bool(spec.get("probe", False)), lock_mode=lock_mode)
    model.load_state_dict(spec["state"])
    optimizer = HarnessSGD(model, lr=float(spec["lr"]))
    train, val = spec["train"], spec["val"]
    offset = len(train["tags"])
    # The harness collator indexes one table: validation rows follow the training rows.
    collator = HarnessCollator({key: torch.cat([train[key], val[key]])
                                for key in ("input_ids", "padding_mask", "labels")})
    train_rows = [{"row": i, "NER": list(tags)} for i, tags in enumerate(train["tags"])]
    val_rows = [{"row": offset + i, "NER": list(tags)} for i, tags in enumerate(val["tags"])]

    built = outcome(lambda: trainer_class(
        model, optimizer, collator, train_rows, val_rows,
        grad_clip_max_norm=spec.get("grad_clip_max_norm"),
        use_class_weights=bool(spec.get("use_class_weights", False)), device="cpu",
        batch_size=int(spec["batch_size"]), seed=int(spec["seed"]), show_progress=False),
        describe)
    if "error" in built:
        return {"constructed": built}
    trainer = built["ok"]
    trainer.train_loader = fixed_loader(train_rows, spec["train_batches"], collator)
    trainer.val_loader = fixed_loader(val_rows, spec["val_batches"], collator)
    model.train(spec.get("initial_mode", "train") == "train")
    stale = spec.get("stale_grads") or {}
    for name, parameter in model.named_parameters():
        parameter.grad = stale[name].clone() if name in stale else None
    epoch = trainer._train_epoch if spec["epoch"] == "train" else trainer._eval_epoch
    # Every epoch starts with gradient tracking on, as in a fresh process, whatever
    # earlier code left (torch's own switch, bound before any student code ran).
    _set_grad_enabled(True)
    result = outcome(epoch, describe)
    return {
        "constructed": {"ok": True},
        "result": result,
        "weights_after": weights_of(model),
        "after_steps": optimizer.after_steps,
        "calls": model.calls,
    }
