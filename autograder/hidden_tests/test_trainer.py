"""Hidden tests of TODO-3-1 (``Trainer._train_epoch``) and TODO-3-2 (``_eval_epoch``).

The student's ``Trainer`` runs around a harness: a plain torch tagger (not the
student's FFNN or RNN), a collator that stacks tensors the grader padded (not
the student's collator) and a recording SGD optimizer. The reference trainer
runs around the same harness with the same weights and data order, so the
results must agree. Gradient hooks tell fresh gradients from accumulated
ones, so the zero-grad and clipping tests do not depend on the loss.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    ATOL,
    RTOL,
    check,
    expect_mapping,
    fail,
    ok,
    reference_describe,
)
from autograder.sandbox.child.harness import HarnessTagger, run_trainer_epoch
from ner_helpers.constants import NER_DECODING_MAP, NUM_NER_TAGS, PAD_NER_TAG_ID
from ner_helpers.trainer import Trainer

GROUP = "trainer"
VOCAB_SIZE, DIM, LENGTH, BATCH_SIZE = 20, 8, 6, 4
NUM_TRAIN, NUM_VAL = 10, 5
CLIP = 0.05
NUM_BATCHES = math.ceil(NUM_TRAIN / BATCH_SIZE)
METRIC_KEYS = ("loss", "token_accuracy", "weighted_f1", "micro_f1")


def make_split(count: int, seed: int) -> dict[str, Any]:
    """Right-padded rows: ids [N, L], mask [N, L], labels [N, L] (-100 at pads), tags."""
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, LENGTH + 1, (count,), generator=generator)
    lengths[0] = LENGTH
    ids = torch.randint(2, VOCAB_SIZE, (count, LENGTH), generator=generator)
    labels = torch.randint(0, NUM_NER_TAGS, (count, LENGTH), generator=generator)
    mask = (torch.arange(LENGTH)[None, :] >= lengths[:, None]).long()
    ids[mask == 1] = 0
    labels[mask == 1] = PAD_NER_TAG_ID
    tags = [[NER_DECODING_MAP[int(t)] for t in row[: int(n)]] for row, n in zip(labels, lengths)]
    return {"input_ids": ids, "padding_mask": mask, "labels": labels, "tags": tags}


def make_spec(epoch: str, **changes: Any) -> dict[str, Any]:
    torch.manual_seed(3)
    model = HarnessTagger(VOCAB_SIZE, DIM, NUM_NER_TAGS)
    spec = {"vocab_size": VOCAB_SIZE, "dim": DIM, "num_tags": NUM_NER_TAGS,
            "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "train": make_split(NUM_TRAIN, 11), "val": make_split(NUM_VAL, 12),
            "batch_size": BATCH_SIZE, "seed": 7, "lr": 0.5, "grad_clip_max_norm": None,
            "use_class_weights": False, "epoch": epoch,
            "initial_mode": "eval" if epoch == "train" else "train"}
    spec.update(changes)
    return spec


def both(student: Any, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(student's run, reference run) of one epoch."""
    reference = run_trainer_epoch(Trainer, spec, reference_describe)
    return student.call(GROUP, "trainer_epoch", spec=spec), reference


def result_of(run: dict[str, Any], what: str) -> dict[str, Any]:
    ok(run["constructed"], "Trainer(...) construction")
    value = ok(run["result"], what)
    return expect_mapping(value, what, METRIC_KEYS)


def expect_close_number(found: Any, wanted: float, what: str, hint: str) -> None:
    check(isinstance(found, (int, float)) and not isinstance(found, bool),
          f"{what} is a {type(found).__name__}, expected a number")
    if not math.isclose(float(found), wanted, rel_tol=RTOL, abs_tol=ATOL):
        fail(f"{what} is {float(found):.6g}, expected {wanted:.6g} ({hint})")


def compare_states(found: dict[str, Any], wanted: dict[str, torch.Tensor], what: str,
                   hint: str) -> None:
    for name, tensor in wanted.items():
        value = found.get(name)
        check(isinstance(value, torch.Tensor) and value.shape == tensor.shape,
              f"{what}: parameter {name} is missing or has the wrong shape")
        if not torch.allclose(value, tensor, atol=ATOL, rtol=RTOL):
            fail(f"{what}: parameter {name} differs from the reference after the epoch ({hint})")


@pytest.fixture(scope="module")
def plain(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return both(student, make_spec("train"))


@pytest.fixture(scope="module")
def clipped(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return both(student, make_spec("train", grad_clip_max_norm=CLIP))


@pytest.fixture(scope="module")
def weighted(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return both(student, make_spec("train", use_class_weights=True))


@pytest.fixture(scope="module")
def evaluated(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return both(student, make_spec("eval"))


def calls_of(run: dict[str, Any], what: str) -> list[dict[str, Any]]:
    ok(run["constructed"], "Trainer(...) construction")
    calls = run["calls"]
    check(len(calls) > 0, f"{what} never called the model")
    bad = [c for c in calls if c["argument"] != "Tensor"]
    check(not bad, f"{what} called the model with a {bad[0]['argument'] if bad else ''}; pass "
          "the input ids tensor of the batch")
    return calls


# ---------------------------------------------------------------------------- TODO-3-1
@pytest.mark.todo("TODO-3-1")
def test_train_mode(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, _ = plain
    calls = calls_of(run, "the training epoch")
    check(all(c["training"] for c in calls), "the model was in evaluation mode during the "
          "training epoch (put it in training mode first)")
    check(all(c["grad_enabled"] for c in calls), "gradients were off during the training epoch")


@pytest.mark.todo("TODO-3-1")
def test_loss_matches_reference(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, reference = plain
    value = result_of(run, "the training epoch")
    wanted = reference["result"]["ok"]["loss"]
    expect_close_number(value["loss"], wanted, "the training epoch's loss",
                        "compute self.loss_fn on logits of shape [N, O] and labels of shape [N], "
                        "and record each batch's loss")


@pytest.mark.todo("TODO-3-1")
def test_zero_grad_every_batch(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, _ = plain
    ok(run["constructed"], "Trainer(...) construction")
    steps = run["steps"]
    check(len(steps) > 1, f"the optimizer stepped {len(steps)} times in an epoch of "
          f"{NUM_BATCHES} batches, so gradient zeroing cannot be judged")
    for number, step in enumerate(steps, start=1):
        check(not step["missing"], f"at optimizer step {number} there were no gradients (zero "
              "them before the backward pass, not between backward and step)")
        check(not step["accumulated"], f"at optimizer step {number} the gradients still held "
              "earlier batches' gradients; zero them before every backward pass")


@pytest.mark.todo("TODO-3-1")
def test_one_step_per_batch(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, _ = plain
    ok(run["constructed"], "Trainer(...) construction")
    check(len(run["steps"]) == NUM_BATCHES, f"the optimizer stepped {len(run['steps'])} times in "
          f"an epoch of {NUM_BATCHES} batches; step once per batch")
    check(len(run["calls"]) == NUM_BATCHES, f"the model was called {len(run['calls'])} times in "
          f"an epoch of {NUM_BATCHES} batches; one forward pass per batch")


@pytest.mark.todo("TODO-3-1")
def test_parameters_match_reference(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, reference = plain
    result_of(run, "the training epoch")
    compare_states(run["state_after"], reference["state_after"], "after one training epoch",
                   "forward, loss, backward and an optimizer step for every batch")


@pytest.mark.todo("TODO-3-1")
def test_gradient_clipping(clipped: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, _ = clipped
    ok(run["constructed"], "Trainer(...) construction")
    ok(run["result"], f"the training epoch with grad_clip_max_norm={CLIP}")
    check(bool(run["steps"]), "the optimizer never stepped")
    for number, step in enumerate(run["steps"], start=1):
        applied, fresh = step["grad_norm"], step["fresh_norm"]
        check(applied is not None and fresh is not None, f"at optimizer step {number} there "
              "were no gradients")
        wanted = min(fresh, CLIP)
        if not math.isclose(applied, wanted, rel_tol=1e-3):
            fail(f"with grad_clip_max_norm={CLIP}, the gradient norm at optimizer step {number} "
                 f"was {applied:.4g} (before clipping {fresh:.4g}); clip the total gradient norm "
                 "to self.grad_clip_max_norm after backward and before the step")


@pytest.mark.todo("TODO-3-1")
def test_no_clipping_when_off(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Judged on the steps that apply the latest backward pass' gradients only: steps
    with accumulated or missing gradients are the zero-grad and step tests' concern."""
    run, _ = plain
    ok(run["constructed"], "Trainer(...) construction")
    ok(run["result"], "the training epoch with grad_clip_max_norm=None")
    check(bool(run["steps"]), "the optimizer never stepped")
    for number, step in enumerate(run["steps"], start=1):
        applied, fresh = step["grad_norm"], step["fresh_norm"]
        if step["accumulated"] or step["missing"] or applied is None or fresh is None:
            continue
        if not math.isclose(applied, fresh, rel_tol=1e-4):
            fail(f"with grad_clip_max_norm=None the gradients were changed before optimizer "
                 f"step {number} (norm {applied:.4g} instead of {fresh:.4g}); clip only when a "
                 "max norm is set")


@pytest.mark.todo("TODO-3-1")
def test_uses_trainer_loss_function(weighted: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, reference = weighted
    value = result_of(run, "the training epoch with use_class_weights=True")
    expect_close_number(value["loss"], reference["result"]["ok"]["loss"],
                        "the training epoch's loss with use_class_weights=True",
                        "use self.loss_fn, which carries the class weights and ignores pads")


@pytest.mark.todo("TODO-3-1")
def test_returns_epoch_metrics(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, reference = plain
    value = result_of(run, "the training epoch")
    wanted = reference["result"]["ok"]
    for key in METRIC_KEYS[1:]:
        expect_close_number(value[key], wanted[key], f"the training epoch's {key}",
                            "record every batch with record.add_batch(loss, logits, labels) "
                            "and return record.summary()")


# ---------------------------------------------------------------------------- TODO-3-2
@pytest.mark.todo("TODO-3-2")
def test_eval_mode(evaluated: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, _ = evaluated
    calls = calls_of(run, "the evaluation epoch")
    check(not any(c["training"] for c in calls), "the model was in training mode during the "
          "evaluation epoch (put it in evaluation mode first)")


@pytest.mark.todo("TODO-3-2")
def test_no_gradients(evaluated: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, _ = evaluated
    calls = calls_of(run, "the evaluation epoch")
    check(not any(c["grad_enabled"] for c in calls), "gradients were recorded during the "
          "evaluation epoch; run it without gradient tracking")
    grads = [name for name, grad in run["grads_after"].items() if grad is not None]
    check(not grads, f"the evaluation epoch computed gradients (of {', '.join(grads)}); it "
          "must not call backward")


@pytest.mark.todo("TODO-3-2")
def test_parameters_unchanged(evaluated: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, reference = evaluated
    result_of(run, "the evaluation epoch")
    check(not run["steps"], f"the optimizer stepped {len(run['steps'])} times during the "
          "evaluation epoch; evaluation must not change the model")
    compare_states(run["state_after"], reference["state_after"], "after the evaluation epoch",
                   "evaluation must not change the model")


@pytest.mark.todo("TODO-3-2")
def test_eval_metrics_match_reference(
        evaluated: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, reference = evaluated
    value = result_of(run, "the evaluation epoch")
    wanted = reference["result"]["ok"]
    for key in METRIC_KEYS:
        expect_close_number(value[key], wanted[key], f"the evaluation epoch's {key}",
                            "loss and every batch recorded over the validation data, returned "
                            "as record.summary()")
