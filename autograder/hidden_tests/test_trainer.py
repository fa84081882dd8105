"""Hidden tests of TODO-3-1 (``Trainer._train_epoch``) and TODO-3-2 (``_eval_epoch``).

The student's ``Trainer`` runs around the harness of
:mod:`autograder.sandbox.child.trainer_harness`: a known-good tagger with a
fixed-mask dropout (not the student's FFNN or RNN), a collator that stacks
tensors the grader padded (not the student's collator), plain SGD, and loaders
whose batches the test fixes (so how the student iterates does not matter). The
reference trainer runs here, in the grader, around the same harness with the
same weights and batches.

Every verdict rests on values the grader checks itself: the epoch's returned
scores, the weights after the epoch and after each optimizer step, each compared
with the reference run, with what the test knows (the initial weights, the
clipping norm and learning rate), or with another run of the student's own
trainer. The model's log of its calls (mode, gradient mode) only words messages.
docs/grading.md ("What the trainer tests verify") lists what each test compares.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    ATOL,
    RTOL,
    Failure,
    check,
    expect_mapping,
    fail,
    ok,
    reference_describe,
    type_name,
)
from autograder.sandbox.child.trainer_harness import HarnessTagger, run_trainer_epoch
from ner_helpers.constants import NER_DECODING_MAP, NER_ENCODING_MAP, NUM_NER_TAGS, PAD_NER_TAG_ID
from ner_helpers.trainer import Trainer

GROUP = "trainer"
VOCAB_SIZE, DIM, LENGTH, BATCH_SIZE = 20, 8, 6, 4
NUM_TRAIN, NUM_VAL = 9, 5
#: The batches of the training epoch (row numbers, in order): the last one holds
#: one sentence. Validation batches follow the rows in order, the last of one sentence.
TRAIN_BATCHES = [[3, 7, 5, 2], [0, 8, 1, 6], [4]]
VAL_BATCHES = [[0, 1, 2, 3], [4]]
LR = 0.5
#: The clipping run: every step's gradient norm is far above CLIP, so every step of
#: a clipping trainer moves the weights by exactly CLIP_LR * CLIP.
CLIP, CLIP_LR = 0.01, 10.0
#: Gradients left on the parameters before the epoch (their scale).
STALE_SCALE = 1.0
#: The share of "O" among the labels of the class-weight runs (skewed labels).
SKEW_O = 0.8
METRIC_KEYS = ("loss", "token_accuracy", "weighted_f1", "micro_f1")
MOVE_RTOL = 1e-3


# ---------------------------------------------------------------------------- data
def make_split(count: int, seed: int, skewed: bool = False) -> dict[str, Any]:
    """Right-padded rows: ids [N, L], mask [N, L], labels [N, L] (-100 at pads), tags."""
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, LENGTH + 1, (count,), generator=generator)
    lengths[0] = LENGTH
    ids = torch.randint(2, VOCAB_SIZE, (count, LENGTH), generator=generator)
    labels = torch.randint(0, NUM_NER_TAGS, (count, LENGTH), generator=generator)
    if skewed:
        outside = torch.rand(count, LENGTH, generator=generator) < SKEW_O
        labels[outside] = NER_ENCODING_MAP["O"]
    mask = (torch.arange(LENGTH)[None, :] >= lengths[:, None]).long()
    ids[mask == 1] = 0
    labels[mask == 1] = PAD_NER_TAG_ID
    tags = [[NER_DECODING_MAP[int(t)] for t in row[: int(n)]] for row, n in zip(labels, lengths)]
    return {"input_ids": ids, "padding_mask": mask, "labels": labels, "tags": tags}


def initial_state(probe: bool = False) -> dict[str, torch.Tensor]:
    torch.manual_seed(3)
    model = HarnessTagger(VOCAB_SIZE, DIM, NUM_NER_TAGS, probe=probe)
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def stale_grads() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(5)
    return {name: torch.randn(value.shape, generator=generator) * STALE_SCALE
            for name, value in initial_state().items()}


def make_spec(epoch: str, **changes: Any) -> dict[str, Any]:
    """One epoch's spec (see :func:`trainer_harness.run_trainer_epoch`)."""
    skewed = bool(changes.pop("skewed", False))
    probe = bool(changes.get("probe", False))
    spec = {"vocab_size": VOCAB_SIZE, "dim": DIM, "num_tags": NUM_NER_TAGS, "probe": probe,
            "state": initial_state(probe), "train": make_split(NUM_TRAIN, 11, skewed),
            "val": make_split(NUM_VAL, 12, skewed), "train_batches": TRAIN_BATCHES,
            "val_batches": VAL_BATCHES, "batch_size": BATCH_SIZE, "seed": 7, "lr": LR,
            "grad_clip_max_norm": None, "use_class_weights": False, "epoch": epoch,
            "initial_mode": "train" if epoch == "train" else "eval", "stale_grads": None}
    spec.update(changes)
    return spec


def reference(spec: Mapping[str, Any], lock_mode: str | None = None) -> dict[str, Any]:
    """The reference trainer's run of ``spec``, here in the grader."""
    return run_trainer_epoch(Trainer, spec, reference_describe, lock_mode=lock_mode)


# ---------------------------------------------------------------------------- reading runs
#: The message when a run's reply lacks the harness's layout (student code rewrote it).
UNREADABLE = ("the grader could not read the results of your trainer's run (the grader's "
              "harness around it was changed)")


def is_outcome(item: Any) -> bool:
    """``{"ok": value}`` or ``{"error": {...}}``."""
    return isinstance(item, Mapping) and len(item) == 1 and (
        "ok" in item or isinstance(item.get("error"), Mapping))


def readable(reply: Any) -> dict[str, Any]:
    """A run's reply, or ``{"unreadable": True}`` when it lacks the harness's layout."""
    if not isinstance(reply, Mapping) or not is_outcome(reply.get("constructed")):
        return {"unreadable": True}
    if "ok" in reply["constructed"] and not is_outcome(reply.get("result")):
        return {"unreadable": True}
    return dict(reply)


def constructed(run: Mapping[str, Any]) -> None:
    """Fail unless the trainer was built (and the reply can be read)."""
    check(not run.get("unreadable"), UNREADABLE)
    ok(run["constructed"], "Trainer(...) construction")


def result_of(run: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """The scores the epoch returned (a dict with :data:`METRIC_KEYS`)."""
    constructed(run)
    value = ok(run["result"], what)
    return expect_mapping(value, what, METRIC_KEYS)


def number(value: Any, what: str) -> float:
    check(isinstance(value, (int, float)) and not isinstance(value, bool),
          f"{what} is a {type_name(value)}, expected a number")
    return float(value)


def close(found: float, wanted: float) -> bool:
    return math.isclose(found, wanted, rel_tol=RTOL, abs_tol=ATOL)


def loss_agrees(run: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether the run's loss equals the reference's (for messages only)."""
    try:
        return close(number(result_of(run, "the epoch")["loss"], "the loss"),
                     wanted["result"]["ok"]["loss"])
    except Failure:
        return False


def expect_close_number(found: Any, wanted: float, what: str, hint: str) -> None:
    value = number(found, what)
    if not close(value, wanted):
        fail(f"{what} is {value:.6g}, expected {wanted:.6g} ({hint})")


def weights(value: Any, like: Mapping[str, torch.Tensor], what: str) -> dict[str, torch.Tensor]:
    """``value`` as weights by name with the names and shapes of ``like``."""
    check(isinstance(value, Mapping), f"{what}: the weights could not be read")
    found = {}
    for name, tensor in like.items():
        item = value.get(name)
        check(isinstance(item, torch.Tensor) and item.shape == tensor.shape
              and item.dtype == tensor.dtype, f"{what}: the weights could not be read")
        found[name] = item
    return found


def same_weights(found: Mapping[str, torch.Tensor], wanted: Mapping[str, torch.Tensor]) -> bool:
    return all(torch.allclose(found[name], tensor, atol=ATOL, rtol=RTOL)
               for name, tensor in wanted.items())


def weights_after(run: Mapping[str, Any], like: Mapping[str, torch.Tensor],
                  what: str) -> dict[str, torch.Tensor]:
    constructed(run)
    return weights(run.get("weights_after"), like, what)


def steps_of(run: Mapping[str, Any], like: Mapping[str, torch.Tensor],
             what: str) -> list[dict[str, torch.Tensor]]:
    """The weights after each optimizer step."""
    steps = run.get("after_steps")
    check(isinstance(steps, list), f"{what}: the weights could not be read")
    return [weights(step, like, what) for step in steps]


def ran_and_stepped(run: Mapping[str, Any], like: Mapping[str, torch.Tensor],
                    what: str) -> dict[str, torch.Tensor]:
    """The weights after an epoch that returned and moved them: a comparison of weights
    judges nothing about an epoch that raised or never stepped."""
    constructed(run)
    outcome = run.get("result")
    check(isinstance(outcome, Mapping), UNREADABLE)
    ok(outcome, what)
    after = weights_after(run, like, what)
    check(not same_weights(after, like), f"{what} left the weights unchanged: take one "
          "optimizer step per batch")
    return after


def expect_weighted_loss(weighted: tuple[dict[str, Any], dict[str, Any]],
                         plain: tuple[dict[str, Any], dict[str, Any]], epoch: str,
                         loss: str, unweighted: str) -> None:
    """The loss of the ``weighted`` run (class weights on) equals the reference's; the hint
    blames the class weights only when the ``plain`` run's loss (without them) agrees."""
    run, wanted = weighted
    value = result_of(run, f"{epoch} with use_class_weights=True")
    expect_close_number(value["loss"], wanted["result"]["ok"]["loss"],
                        f"{loss} with use_class_weights=True",
                        "use self.loss_fn, which carries the class weights and ignores pads"
                        if loss_agrees(*plain) else f"{unweighted} without class weights "
                        "differs from the reference's too; fix that first")


def distance(a: Mapping[str, torch.Tensor], b: Mapping[str, torch.Tensor]) -> float:
    """The Euclidean distance between two sets of weights (over all parameters)."""
    return math.sqrt(sum(float(((a[name].double() - b[name].double()) ** 2).sum())
                         for name in b))


def mode_log(run: Mapping[str, Any]) -> tuple[set[bool], set[bool]]:
    """The modes and gradient modes the model logged (for messages only)."""
    calls = run.get("calls") if isinstance(run.get("calls"), list) else []
    entries = [c for c in calls if isinstance(c, Mapping)]
    return ({bool(c.get("training")) for c in entries},
            {bool(c.get("grad_enabled")) for c in entries})


def num_steps_text(run: Mapping[str, Any]) -> str:
    """What the step log says about the number of steps (for messages only)."""
    steps = run.get("after_steps")
    if not isinstance(steps, list) or len(steps) == len(TRAIN_BATCHES):
        return ""
    return (f"; the optimizer seems to have stepped {len(steps)} times in an epoch of "
            f"{len(TRAIN_BATCHES)} batches")


# ---------------------------------------------------------------------------- runs
def student_run(student: Any, spec: dict[str, Any]) -> dict[str, Any]:
    return readable(student.call(GROUP, "trainer_epoch", spec=spec))


@pytest.fixture(scope="module")
def plain(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(student's run, reference run) of a training epoch started in training mode with
    gradients left over from before the epoch."""
    spec = make_spec("train", stale_grads=stale_grads())
    return student_run(student, spec), reference(spec)


@pytest.fixture(scope="module")
def from_eval_mode(student: Any) -> dict[str, Any]:
    """The student's run of the same epoch started in evaluation mode."""
    return student_run(student, make_spec("train", stale_grads=stale_grads(),
                                          initial_mode="eval"))


@pytest.fixture(scope="module")
def eval_mode_signature() -> dict[str, Any]:
    """The reference's training epoch with the model kept in evaluation mode."""
    return reference(make_spec("train", stale_grads=stale_grads()), lock_mode="eval")


@pytest.fixture(scope="module")
def clipped(student: Any) -> dict[str, Any]:
    return student_run(student, make_spec("train", grad_clip_max_norm=CLIP, lr=CLIP_LR))


@pytest.fixture(scope="module")
def weighted(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = make_spec("train", use_class_weights=True, skewed=True)
    return student_run(student, spec), reference(spec)


@pytest.fixture(scope="module")
def composed(student: Any) -> dict[str, Any]:
    """The student's one-batch epochs, with and without gradients left over, the second
    batch alone from the weights after the first, and both batches in one epoch."""
    first, second = TRAIN_BATCHES[0], TRAIN_BATCHES[1]
    runs = {"stale": student_run(student, make_spec("train", train_batches=[first],
                                                    stale_grads=stale_grads())),
            "first": student_run(student, make_spec("train", train_batches=[first])),
            "both": student_run(student, make_spec("train", train_batches=[first, second]))}
    state = initial_state()
    after_first = runs["first"].get("weights_after")
    if isinstance(after_first, Mapping) and all(
            isinstance(after_first.get(name), torch.Tensor)
            and after_first[name].shape == value.shape and after_first[name].dtype == value.dtype
            for name, value in state.items()):
        runs["second"] = student_run(student, make_spec(
            "train", train_batches=[second],
            state={name: after_first[name].detach().clone() for name in state}))
    return runs


# ---------------------------------------------------------------------------- TODO-3-1
@pytest.mark.todo("TODO-3-1")
def test_train_mode(plain: tuple[dict[str, Any], dict[str, Any]],
                    from_eval_mode: dict[str, Any], eval_mode_signature: dict[str, Any]) -> None:
    """Started in evaluation mode, the epoch gives what it gives when started in training
    mode; and that is not what the model gives in evaluation mode."""
    run, wanted = plain
    state = initial_state()
    loss = number(result_of(run, "the training epoch")["loss"], "the training epoch's loss")
    other = number(result_of(from_eval_mode, "the training epoch started in evaluation "
                             "mode")["loss"], "the training epoch's loss")
    same = close(other, loss) and same_weights(
        weights_after(from_eval_mode, state, "the training epoch"),
        weights_after(run, state, "the training epoch"))
    check(same, "the training epoch gives other results when the model was in evaluation "
          "mode before it (its dropout is off in evaluation mode); put the model in training "
          "mode (call train() on it) at the start of the epoch")
    in_eval = eval_mode_signature["result"]["ok"]["loss"]
    check(not close(loss, in_eval) or close(loss, wanted["result"]["ok"]["loss"]),
          "the training epoch's loss is the one the model gives in evaluation mode (dropout "
          "off); put the model in training mode (train() on the model, not eval())")


@pytest.mark.todo("TODO-3-1")
def test_loss_matches_reference(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, wanted = plain
    value = result_of(run, "the training epoch")
    expect_close_number(value["loss"], wanted["result"]["ok"]["loss"],
                        "the training epoch's loss",
                        "each batch's loss comes from self.loss_fn on logits of shape [N, O] "
                        "and labels of shape [N], for every batch, the short last batch too, "
                        "and from the weights the earlier steps left: zero the gradients "
                        "before each backward pass and step once per batch")


@pytest.mark.todo("TODO-3-1")
def test_zero_grad_every_batch(composed: dict[str, Any]) -> None:
    """A one-batch epoch gives the same weights with and without gradients left over from
    before the epoch; two batches in one epoch give what the second batch alone gives
    from the weights after the first."""
    state = initial_state()
    stale = ran_and_stepped(composed["stale"], state, "the training epoch")
    fresh = ran_and_stepped(composed["first"], state, "the training epoch")
    check(same_weights(stale, fresh), "gradients left on the parameters from before the epoch "
          "changed the first step; zero the gradients before every backward pass (zeroing "
          "them only after the step leaves them in the first batch's gradients)")
    check("second" in composed, "the training epoch's weights could not be read")
    both = ran_and_stepped(composed["both"], state, "the training epoch")
    second = ran_and_stepped(composed["second"], fresh, "the training epoch")
    check(same_weights(both, second), "the step of the second batch differs from the same "
          "batch's step taken alone from the same weights: it also applied the first batch's "
          "gradients; zero the gradients before every backward pass and step once per batch")


@pytest.mark.todo("TODO-3-1")
def test_parameters_match_reference(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, wanted = plain
    result_of(run, "the training epoch")
    found = weights_after(run, initial_state(), "after one training epoch")
    for name, tensor in wanted["weights_after"].items():
        if not torch.allclose(found[name], tensor, atol=ATOL, rtol=RTOL):
            fail(f"after one training epoch, parameter {name} differs from the reference "
                 "(zero the gradients, forward, loss, backward and one optimizer step for "
                 f"every batch{num_steps_text(run)})")


@pytest.mark.todo("TODO-3-1")
def test_gradient_clipping(clipped: dict[str, Any]) -> None:
    """With plain SGD, a step moves the weights by lr times the norm of the gradients it
    applies; every step's gradients here are far above the clipping norm."""
    constructed(clipped)
    ok(clipped["result"], f"the training epoch with grad_clip_max_norm={CLIP}")
    state = initial_state()
    steps = steps_of(clipped, state, "the training epoch")
    check(bool(steps), "the optimizer never stepped")
    check(same_weights(weights_after(clipped, state, "the training epoch"), steps[-1]),
          "the weights changed after the last optimizer step of the epoch; change them only "
          "through optimizer steps")
    wanted = CLIP_LR * CLIP
    before = state
    for number_, after in enumerate(steps, start=1):
        moved = distance(after, before)
        if not math.isclose(moved, wanted, rel_tol=MOVE_RTOL):
            fail(f"with grad_clip_max_norm={CLIP} and SGD(lr={CLIP_LR:g}), optimizer step "
                 f"{number_} moved the weights by {moved:.4g}, expected lr * {CLIP} = "
                 f"{wanted:.4g}; clip the total gradient norm to self.grad_clip_max_norm "
                 "after backward and before the step")
        before = after


@pytest.mark.todo("TODO-3-1")
def test_no_clipping_when_off(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Without a max norm, the weights are the reference's; or, when they differ for
    another reason, the steps do not all move the weights by one same distance (the mark
    of clipping to a fixed norm)."""
    run, wanted = plain
    state = initial_state()
    if same_weights(ran_and_stepped(run, state, "the training epoch"), wanted["weights_after"]):
        return
    steps = steps_of(run, state, "the training epoch")
    moves = [distance(after, before) for before, after in zip([state] + steps[:-1], steps)]
    fixed = len(moves) > 1 and all(math.isclose(m, moves[0], rel_tol=MOVE_RTOL)
                                   for m in moves)
    check(not fixed, f"with grad_clip_max_norm=None every optimizer step moved the weights by "
          f"the same distance ({moves[0] if moves else 0:.4g}): the gradients were clipped to a "
          "fixed norm; clip only when self.grad_clip_max_norm is set")


@pytest.mark.todo("TODO-3-1")
def test_uses_trainer_loss_function(weighted: tuple[dict[str, Any], dict[str, Any]],
                                    plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    expect_weighted_loss(weighted, plain, "the training epoch", "the training epoch's loss",
                         "the loss")


@pytest.mark.todo("TODO-3-1")
def test_returns_epoch_metrics(plain: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, wanted = plain
    value = result_of(run, "the training epoch")
    hint = ("record every batch, the short last batch too, with record.add_batch(loss, "
            "logits, labels) and return record.summary()")
    if not loss_agrees(run, wanted):
        hint += "; the loss differs from the reference's too, so the training may differ"
    for key in METRIC_KEYS[1:]:
        expect_close_number(value[key], wanted["result"]["ok"][key],
                            f"the training epoch's {key}", hint)


# ---------------------------------------------------------------------------- TODO-3-2
@pytest.fixture(scope="module")
def evaluated(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(student's run, reference run) of an evaluation epoch started in evaluation mode."""
    spec = make_spec("eval")
    return student_run(student, spec), reference(spec)


@pytest.fixture(scope="module")
def from_train_mode(student: Any) -> dict[str, Any]:
    return student_run(student, make_spec("eval", initial_mode="train"))


@pytest.fixture(scope="module")
def train_mode_signature() -> dict[str, Any]:
    """The reference's evaluation epoch with the model kept in training mode."""
    return reference(make_spec("eval"), lock_mode="train")


@pytest.fixture(scope="module")
def probed(student: Any) -> dict[str, Any]:
    """The student's evaluation epoch around a model that torch refuses to run while
    gradients are tracked."""
    return student_run(student, make_spec("eval", probe=True))


@pytest.fixture(scope="module")
def weighted_eval(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = make_spec("eval", use_class_weights=True, skewed=True)
    return student_run(student, spec), reference(spec)


@pytest.mark.todo("TODO-3-2")
def test_eval_mode(evaluated: tuple[dict[str, Any], dict[str, Any]],
                   from_train_mode: dict[str, Any],
                   train_mode_signature: dict[str, Any]) -> None:
    """Started in training mode, the epoch gives what it gives when started in evaluation
    mode; and that is not what the model gives in training mode."""
    run, wanted = evaluated
    loss = number(result_of(run, "the evaluation epoch")["loss"], "the evaluation loss")
    other = number(result_of(from_train_mode, "the evaluation epoch started in training "
                             "mode")["loss"], "the evaluation loss")
    check(close(other, loss), "the evaluation epoch gives another loss when the model was in "
          "training mode before it (its dropout is on in training mode); put the model in "
          "evaluation mode (call eval() on it) at the start of the epoch")
    in_train = train_mode_signature["result"]["ok"]["loss"]
    check(not close(loss, in_train) or close(loss, wanted["result"]["ok"]["loss"]),
          "the evaluation loss is the one the model gives in training mode (dropout on); put "
          "the model in evaluation mode (eval() on the model, not train())")


@pytest.mark.todo("TODO-3-2")
def test_no_gradients(probed: dict[str, Any], evaluated: tuple[dict[str, Any], dict[str, Any]]
                      ) -> None:
    """The model adds 1 in place to a parameter on each call, which torch refuses while
    gradients are tracked: the epoch must run, and the parameter must have counted calls."""
    run, _ = evaluated
    constructed(run)
    ok(run["result"], "the evaluation epoch")
    constructed(probed)
    if "error" in probed["result"]:
        _, grad_modes = mode_log(probed)
        fail("the evaluation epoch tracked gradients: the grader's model changes one of its "
             "parameters in place on each call, which torch allows only without gradient "
             "tracking; run the evaluation under torch.no_grad()"
             + (" (the model was called with gradients on)" if True in grad_modes else ""))
    state = initial_state(probe=True)
    counted = weights_after(probed, state, "the evaluation epoch")["probe"]
    check(float(counted.sum()) >= 1.0, "the evaluation epoch never called the model without "
          "gradient tracking; run the evaluation under torch.no_grad()")


@pytest.mark.todo("TODO-3-2")
def test_parameters_unchanged(evaluated: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, _ = evaluated
    result_of(run, "the evaluation epoch")
    state = initial_state()
    after = weights_after(run, state, "the evaluation epoch")
    for name, tensor in state.items():
        check(torch.equal(after[name], tensor), f"parameter {name} changed during the "
              "evaluation epoch; evaluation must not change the model (no backward pass, no "
              "optimizer step)")


@pytest.mark.todo("TODO-3-2")
def test_eval_metrics_match_reference(
        evaluated: tuple[dict[str, Any], dict[str, Any]]) -> None:
    run, wanted = evaluated
    value = result_of(run, "the evaluation epoch")
    for key in METRIC_KEYS:
        expect_close_number(value[key], wanted["result"]["ok"][key],
                            f"the evaluation epoch's {key}",
                            "loss and every batch, the short last batch too, recorded over "
                            "the validation data, returned as record.summary()")


@pytest.mark.todo("TODO-3-2")
def test_eval_uses_trainer_loss_function(
        weighted_eval: tuple[dict[str, Any], dict[str, Any]],
        evaluated: tuple[dict[str, Any], dict[str, Any]]) -> None:
    expect_weighted_loss(weighted_eval, evaluated, "the evaluation epoch",
                         "the evaluation loss", "the evaluation loss")
