"""The hidden trainer tests, run in this process without the sandbox: fast feedback on
the trainer catalogue, and replies that student code could have rewritten.

The hidden tests of autograder/hidden_tests/test_trainer.py take a ``student``
whose ``call`` runs one epoch in the sandboxed child. Here ``call`` runs the
same harness (:func:`trainer_harness.run_trainer_epoch`) in this process on a
catalogue entry's ``Trainer``, so the verdicts of every trainer entry of
tests/broken_implementations/ and tests/correct_alternatives/ are checked in
seconds (the grading batches of tests/test_grader_broken_implementations.py
check them end to end). A ``call`` that returns a reply without the harness's
layout, as student code rewriting the child's report could, must make every
test fail with a message, never raise anything else.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))

from test_grader_broken_implementations import (  # noqa: E402
    ALTERNATIVES_DIR,
    BROKEN_DIR,
    Variant,
    apply_variant,
    load_variants,
)

from autograder.hidden_tests import test_trainer as hidden  # noqa: E402
from autograder.hidden_tests.support import Failure  # noqa: E402
from autograder.sandbox.child.trainer_harness import run_trainer_epoch  # noqa: E402

TRAINER_ENTRIES = [v for v in load_variants(BROKEN_DIR) + load_variants(ALTERNATIVES_DIR)
                   if v.file == "trainer.py"]


def describe(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": str(exc)}


class InProcessStudent:
    """A ``student`` whose calls answer with ``reply(spec)``."""

    def __init__(self, reply: Callable[[dict[str, Any]], Any]) -> None:
        self.reply = reply

    def call(self, group: str, op: str, spec: dict[str, Any]) -> Any:
        assert (group, op) == ("trainer", "trainer_epoch")
        return self.reply(spec)


def run_hidden_tests(student: InProcessStudent) -> dict[str, str]:
    """``{test name without test_: message}`` of the hidden trainer tests that fail."""
    values: dict[str, Any] = {}

    def fixture(name: str) -> Any:
        if name == "student":
            return student
        if name not in values:
            function = getattr(hidden, name).__wrapped__
            values[name] = function(*[fixture(p) for p in inspect.signature(function).parameters])
        return values[name]

    failed = {}
    for name in sorted(n for n in dir(hidden) if n.startswith("test_")):
        test = getattr(hidden, name)
        try:
            test(*[fixture(p) for p in inspect.signature(test).parameters])
        except Failure as exc:
            failed[name.removeprefix("test_")] = str(exc)
    return failed


def trainer_of(variant: Variant) -> type:
    module = types.ModuleType(f"catalogue_{variant.name.replace('-', '_')}")
    exec(compile(apply_variant(variant), "trainer.py", "exec"), module.__dict__)
    return module.Trainer


@pytest.mark.parametrize("variant", TRAINER_ENTRIES, ids=lambda v: v.name)
def test_catalogue_entry_fails_exactly_its_tests(variant: Variant) -> None:
    trainer = trainer_of(variant)
    failed = run_hidden_tests(InProcessStudent(
        lambda spec: run_trainer_epoch(trainer, spec, describe)))
    expected = {test for tests in variant.lost.values() for test in tests}
    assert set(failed) == expected, (variant.name, failed)
    for test, fragment in variant.messages.items():
        assert fragment in failed[test], (variant.name, test, failed[test])


def garbled(spec: dict[str, Any], how: str) -> Any:
    """A reply of the reference trainer's run, rewritten as ``how`` says."""
    from ner_helpers.trainer import Trainer

    run = run_trainer_epoch(Trainer, spec, describe)
    if how == "none":
        return None
    if how == "empty":
        return {}
    if how == "constructed-not-an-outcome":
        return {**run, "constructed": 5}
    if how == "result-missing":
        return {key: value for key, value in run.items() if key != "result"}
    if how == "scores-not-numbers":
        return {**run, "result": {"ok": {key: "0.5" for key in hidden.METRIC_KEYS}}}
    if how == "weights-wrong-shapes":
        return {**run, "weights_after": {name: torch.zeros(1) for name in run["weights_after"]}}
    if how == "weights-not-a-dict":
        return {**run, "weights_after": [1, 2, 3], "after_steps": "steps"}
    if how == "steps-wrong":
        return {**run, "after_steps": [None, {"embedding.weight": 3}], "calls": 7}
    raise ValueError(how)


@pytest.mark.parametrize("how", ["none", "empty", "constructed-not-an-outcome",
                                 "result-missing", "scores-not-numbers",
                                 "weights-wrong-shapes", "weights-not-a-dict", "steps-wrong"])
def test_rewritten_replies_fail_with_a_message(how: str) -> None:
    failed = run_hidden_tests(InProcessStudent(lambda spec: garbled(spec, how)))
    assert failed, how
    for message in failed.values():
        assert message and "Traceback" not in message, (how, message)


def test_the_reference_passes_every_test() -> None:
    from ner_helpers.trainer import Trainer

    assert run_hidden_tests(InProcessStudent(
        lambda spec: run_trainer_epoch(Trainer, spec, describe))) == {}

