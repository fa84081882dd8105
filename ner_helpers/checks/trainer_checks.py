"""Public checks of TODO-3-1 and TODO-3-2, ``Trainer._train_epoch`` and
``Trainer._eval_epoch`` (ner_helpers/trainer.py).

They do not need your tokenizer, collator or models: the check brings its own
tiny tagger (an embedding and one linear layer) and rows that are already
tensors of length 5, batched by ``torch.utils.data.default_collate`` (the rows'
tag strings, ``NER``, are only read for the class weights).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional
from torch.utils.data import default_collate

from ner_helpers import trainer as trainer_module
from ner_helpers.checks.expect import Expect
from ner_helpers.constants import NER_DECODING_MAP, NUM_NER_TAGS, PAD_NER_TAG_ID

VOCAB_SIZE, DIM = 12, 6
PAD = PAD_NER_TAG_ID


class TinyTagger(nn.Module):
    """Embedding then a linear layer: ``input_ids [B, L] -> logits [B, L, 9]``.

    It records, for each call, whether it was in training mode and whether
    gradients were being tracked.
    """

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB_SIZE, DIM, padding_idx=0)
        self.output = nn.Linear(DIM, NUM_NER_TAGS)
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.output(self.embedding(input_ids))


class CountingSGD(torch.optim.SGD):
    """Plain SGD that counts its steps."""

    def __init__(self, params, lr: float) -> None:
        super().__init__(params, lr=lr)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


def tensor_rows() -> list[dict[str, Any]]:
    """Six rows of length 5; the last positions of some rows are padding. ``NER`` holds
    the tag strings of the real tokens."""
    lengths = [5, 3, 4, 2, 5, 1]
    generator = torch.Generator().manual_seed(7)
    rows = []
    for length in lengths:
        ids = torch.randint(2, VOCAB_SIZE, (5,), generator=generator)
        tags = torch.randint(0, NUM_NER_TAGS, (5,), generator=generator)
        mask = (torch.arange(5) >= length).long()
        rows.append({"input_ids": ids.masked_fill(mask == 1, 0), "padding_mask": mask,
                     "labels": tags.masked_fill(mask == 1, PAD),
                     "NER": [NER_DECODING_MAP[int(t)] for t in tags[:length]]})
    return rows


def collate_tensors(rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """``default_collate`` of the rows' tensors: ``input_ids``, ``padding_mask`` and
    ``labels`` LongTensor[B, 5]."""
    return default_collate([{key: value for key, value in row.items() if key != "NER"}
                            for row in rows])


#: How many of the rows of :func:`tensor_rows` are the validation data (the first ones).
NUM_VAL_ROWS = 5


def make_trainer(lr: float, batch_size: int = 2, grad_clip_max_norm: float | None = None,
                 use_class_weights: bool = False,
                 ) -> tuple[trainer_module.Trainer, TinyTagger, CountingSGD]:
    """A trainer on all six rows, validated on the first :data:`NUM_VAL_ROWS`."""
    torch.manual_seed(0)
    model = TinyTagger()
    optimizer = CountingSGD(model.parameters(), lr=lr)
    rows = tensor_rows()
    trainer = trainer_module.Trainer(model, optimizer, collate_tensors, rows,
                                     rows[:NUM_VAL_ROWS],
                                     grad_clip_max_norm=grad_clip_max_norm,
                                     use_class_weights=use_class_weights, device="cpu",
                                     batch_size=batch_size, seed=0, show_progress=False)
    return trainer, model, optimizer


def parameters_of(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().clone() for p in model.parameters()])


def expected_loss(model: nn.Module, weight: torch.Tensor | None = None,
                  num_rows: int | None = None) -> float:
    """Mean cross-entropy of ``model`` over every non-pad token of the first ``num_rows``
    rows of :func:`tensor_rows` (all without), weighted by ``weight`` FloatTensor[O],
    indexed by tag id, when given."""
    batch = collate_tensors(tensor_rows()[:num_rows])
    logits = model(batch["input_ids"]).detach()
    model.calls.clear()
    return float(functional.cross_entropy(logits.flatten(0, 1), batch["labels"].flatten(),
                                          weight=weight, ignore_index=PAD))


def check_summary(expect: Expect, scores: object, what: str) -> None:
    expect.true(isinstance(scores, dict) and "loss" in scores and "weighted_f1" in scores,
                f"{what} should return record.summary() (a dict with 'loss' and "
                f"'weighted_f1'), found {type(scores).__name__}")


def check_train_epoch(expect: Expect) -> None:
    expect.step("trainer._train_epoch() with SGD(lr=0): 6 rows in batches of 4 (the last "
                "batch is short)")
    trainer, model, optimizer = make_trainer(lr=0.0, batch_size=4)
    model.eval()  # the epoch must switch to training mode itself
    loss_before = expected_loss(model)
    scores = trainer._train_epoch()
    check_summary(expect, scores, "_train_epoch")
    expect.true(len(model.calls) > 0, "_train_epoch never called the model")
    expect.true(all(training for training, _ in model.calls),
                "the model should be in training mode during _train_epoch (model.train())")
    expect.true(all(grad for _, grad in model.calls),
                "gradients should be tracked during _train_epoch")
    expect.equal(optimizer.steps, 2, "the number of optimizer steps for 2 batches")
    expect.close(scores["loss"], loss_before,
                 "the epoch loss (mean cross-entropy over the non-pad tokens, from "
                 "self.loss_fn on logits [N, O] and labels [N])", atol=1e-4)

    expect.step("trainer._train_epoch() with use_class_weights=True and SGD(lr=0), one batch")
    trainer, model, _ = make_trainer(lr=0.0, batch_size=6, use_class_weights=True)
    weight = trainer_module.balanced_class_weights(tensor_rows())
    scores = trainer._train_epoch()
    check_summary(expect, scores, "_train_epoch")
    expect.close(scores["loss"], expected_loss(model, weight),
                 "the epoch loss with class weights (use self.loss_fn, which carries them)",
                 atol=1e-4)

    expect.step("trainer._train_epoch() with SGD(lr=0.1)")
    trainer, model, _ = make_trainer(lr=0.1)
    before = parameters_of(model)
    trainer._train_epoch()
    expect.true(not torch.equal(before, parameters_of(model)),
                "the parameters did not change: call loss.backward() and optimizer.step()")

    expect.step("trainer._train_epoch() when stale gradients are left over from before")
    trainer, model, _ = make_trainer(lr=0.1, batch_size=6)
    for parameter in model.parameters():
        parameter.grad = torch.full_like(parameter, 1000.0)
    before = parameters_of(model)
    trainer._train_epoch()
    moved = float((parameters_of(model) - before).abs().max())
    expect.true(moved < 10.0,
                f"a parameter moved by {moved:.1f} in one step of SGD(lr=0.1): gradients left "
                "over from before the batch were used; zero the gradients before backward()")

    expect.step("trainer._train_epoch() with grad_clip_max_norm=0.001 and SGD(lr=1)")
    trainer, model, _ = make_trainer(lr=1.0, batch_size=6, grad_clip_max_norm=0.001)
    before = parameters_of(model)
    trainer._train_epoch()
    moved = float((parameters_of(model) - before).norm())
    expect.true(moved <= 0.001 * 1.01,
                f"one step moved the parameters by a norm of {moved:.4f}, more than the "
                "clipping limit 0.001: clip the gradient norm after backward() and before "
                "optimizer.step()")


def check_eval_epoch(expect: Expect) -> None:
    expect.step(f"trainer._eval_epoch() on {NUM_VAL_ROWS} validation rows in batches of 4 "
                "(the last batch is short)")
    trainer, model, optimizer = make_trainer(lr=0.1, batch_size=4)
    loss_before = expected_loss(model, num_rows=NUM_VAL_ROWS)
    before = parameters_of(model)
    scores = trainer._eval_epoch()
    check_summary(expect, scores, "_eval_epoch")
    expect.true(len(model.calls) > 0, "_eval_epoch never called the model")
    expect.true(not any(training for training, _ in model.calls),
                "the model should be in evaluation mode during _eval_epoch (model.eval())")
    expect.true(not any(grad for _, grad in model.calls),
                "gradients should not be tracked during _eval_epoch (torch.no_grad())")
    expect.equal(optimizer.steps, 0, "the number of optimizer steps in an evaluation epoch")
    expect.true(torch.equal(before, parameters_of(model)),
                "_eval_epoch changed the model's parameters")
    expect.true(all(p.grad is None for p in model.parameters()),
                "_eval_epoch computed gradients (no backward() in evaluation)")
    expect.close(scores["loss"], loss_before,
                 "the evaluation loss (mean cross-entropy over the non-pad tokens of "
                 "self.val_loader)", atol=1e-4)
    expect.equal(scores.get("num_sentences"), NUM_VAL_ROWS,
                 "the number of validation sentences scored")

    expect.step("calling trainer._eval_epoch() twice")
    again = trainer._eval_epoch()
    expect.equal(again["loss"], scores["loss"], "the loss of a second evaluation epoch")

    expect.step("trainer._eval_epoch() with use_class_weights=True, one batch")
    trainer, model, _ = make_trainer(lr=0.1, batch_size=6, use_class_weights=True)
    weight = trainer_module.balanced_class_weights(tensor_rows())
    scores = trainer._eval_epoch()
    check_summary(expect, scores, "_eval_epoch")
    expect.close(scores["loss"], expected_loss(model, weight, num_rows=NUM_VAL_ROWS),
                 "the evaluation loss with class weights (use self.loss_fn, which carries "
                 "them)", atol=1e-4)
