"""The public checks (ner_helpers.checks) run on every entry of the bug catalogue.

Every correct alternative (tests/correct_alternatives/) must pass every public
check, so a student who writes one is never told it is wrong. For each broken
implementation (tests/broken_implementations/), docs/grading.md says whether
the public check of its TODO catches it, so an instructor sees how much the
public checks reveal; the table there is generated from these runs and
checked here. The checks run in this process: the entry's file is executed as
a fresh module and its classes and functions stand in for the package's
while the checks run (the checks look them up through the package modules).

Print the table of docs/grading.md::

    .venv/bin/python tests/test_public_checks_on_catalogue.py
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO / "tests"))

from test_grader_broken_implementations import (  # noqa: E402
    ALTERNATIVES_DIR,
    BROKEN,
    SETTINGS,
    Variant,
    apply_variant,
    docs_section,
    load_variants,
)

from ner_helpers.checks import TODOS, run_check  # noqa: E402

ALTERNATIVES = load_variants(ALTERNATIVES_DIR)


@contextmanager
def installed(variant: Variant) -> Iterator[None]:
    """The variant's classes and functions in place of the package's, for one block."""
    name = f"ner_helpers.{variant.file.removesuffix('.py')}"
    package_module = importlib.import_module(name)
    fresh = types.ModuleType(name)
    fresh.__file__ = package_module.__file__
    exec(compile(apply_variant(variant), str(package_module.__file__), "exec"), fresh.__dict__)
    replaced = {key: value for key, value in vars(fresh).items()
                if getattr(value, "__module__", None) == name and callable(value)}
    saved = {key: getattr(package_module, key) for key in replaced}
    try:
        for key, value in replaced.items():
            setattr(package_module, key, value)
        yield
    finally:
        for key, value in saved.items():
            setattr(package_module, key, value)


def check_results(variant: Variant, numbers: list[str]) -> dict[str, bool]:
    """``{TODO number: passed}`` of the public checks of ``numbers`` on the variant."""
    with installed(variant):
        return {number: run_check(number).passed for number in numbers}


def number(todo: str) -> str:
    return todo.removeprefix("TODO-")


def public_checks_table(variants: list[Variant]) -> str:
    """The Markdown table of docs/grading.md: per broken implementation, whether the public
    check of its TODO fails on it."""
    order = list(SETTINGS.todos)
    rows = ["| TODO | entry | public check fails on it |", "|---|---|---|"]
    for variant in sorted(variants, key=lambda v: (order.index(v.todos[0]), v.name)):
        own = number(variant.todos[0])
        caught = not check_results(variant, [own])[own]
        rows.append(f"| {variant.todos[0]} | `{variant.name}` | {'yes' if caught else 'no'} |")
    return "\n".join(rows)


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=lambda v: v.name)
def test_every_correct_alternative_passes_every_public_check(variant: Variant) -> None:
    results = check_results(variant, list(TODOS))
    assert all(results.values()), {n: passed for n, passed in results.items() if not passed}


def test_a_check_run_on_a_bug_leaves_no_trace_for_the_next_run() -> None:
    """A student runs a check on a collator that changes its rows, fixes it and runs the
    check again in the same kernel: the second run judges the fixed code alone."""
    (variant,) = [v for v in BROKEN if v.name == "collator-pads-caller-rows"]
    assert not check_results(variant, ["1.2-1"])["1.2-1"]
    assert run_check("1.2-1").passed


def test_docs_say_which_bugs_the_public_checks_catch() -> None:
    assert public_checks_table(BROKEN) in docs_section(), (
        "docs/grading.md is out of date; print the table with "
        "`.venv/bin/python tests/test_public_checks_on_catalogue.py`")


if __name__ == "__main__":
    print(public_checks_table(BROKEN))
