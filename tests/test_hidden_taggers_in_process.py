"""The hidden tests of TODO-7-1 and TODO-7-2, run in this process without the sandbox, on
every catalogue entry of cnn.py and vectors.py: exactly the entry's ``lost`` tests fail
(none for a correct alternative), in seconds.

``student.call`` runs the same code the child runs (the module harness, and the
alignment case of the child's operations) on the entry's class or function; the grading
batches of tests/test_grader_broken_implementations.py check the entries end to end.
"""

from __future__ import annotations

import inspect
import sys
import types
from pathlib import Path
from typing import Any

import pytest

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

from autograder.hidden_tests import test_cnn, test_vectors  # noqa: E402
from autograder.hidden_tests.support import Failure  # noqa: E402
from autograder.sandbox.child.module_harness import run_module  # noqa: E402
from autograder.sandbox.child.ops import align_vectors_case  # noqa: E402

HIDDEN = {"cnn.py": test_cnn, "vectors.py": test_vectors}
ENTRIES = [v for v in load_variants(BROKEN_DIR) + load_variants(ALTERNATIVES_DIR)
           if v.file in HIDDEN]


def describe(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": str(exc)}


def outcome(action) -> dict[str, Any]:
    try:
        return {"ok": action()}
    except Exception as exc:  # noqa: BLE001 (entries may raise anything)
        return {"error": describe(exc)}


class InProcessStudent:
    """A ``student`` whose calls run the child's code on one entry's module."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module

    def call(self, group: str, op: str, **args: Any) -> Any:
        if op == "module":
            return run_module(getattr(self.module, args["class_name"]), args["plan"], describe)
        assert op == "align_vectors"
        return [outcome(lambda case=case: align_vectors_case(self.module.align_vectors, case))
                for case in args["cases"]]


def entry_module(variant: Variant) -> types.ModuleType:
    name = f"ner_helpers.{variant.file.removesuffix('.py')}"
    module = types.ModuleType(name)
    module.__file__ = str(REPO / "ner_helpers" / variant.file)
    exec(compile(apply_variant(variant), module.__file__, "exec"), module.__dict__)
    return module


def failed_tests(hidden: types.ModuleType, student: InProcessStudent) -> set[str]:
    failed = set()
    for name, test in inspect.getmembers(hidden, inspect.isfunction):
        if not name.startswith("test_"):
            continue
        try:
            test(student)
        except Failure:
            failed.add(name.removeprefix("test_"))
    return failed


@pytest.mark.parametrize("variant", ENTRIES, ids=lambda v: v.name)
def test_entry_loses_exactly_its_tests(variant: Variant) -> None:
    student = InProcessStudent(entry_module(variant))
    failed = failed_tests(HIDDEN[variant.file], student)
    assert failed == set(variant.lost.get(variant.todos[0], ())), variant.name


def test_the_reference_passes_every_test() -> None:
    import ner_helpers.cnn
    import ner_helpers.vectors

    for module, hidden in ((ner_helpers.cnn, test_cnn), (ner_helpers.vectors, test_vectors)):
        assert failed_tests(hidden, InProcessStudent(module)) == set()
