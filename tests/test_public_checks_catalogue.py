"""What the public checks (``ner-kit check``) reveal of the catalogue of
tests/broken_implementations/ and tests/correct_alternatives/.

Every correct alternative passes the public check of each TODO it covers (a
public check that fails correct code misleads students); for each broken
implementation, the table of docs/grading.md ("Trainer: what the public checks
reveal") says whether the public check of its TODO catches it, so an
instructor sees how much the public checks tell students before the hidden
tests do.

The checks run in this process: the entry's file is executed as a module and
put in place of the kit's module for the check modules that test it (each
check module reads its student file through a ``<file>_module`` attribute).
About a second per entry.

Print the table for any entries (fragments of entry names, all without)::

    .venv/bin/python tests/test_public_checks_catalogue.py trainer
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO / "tests"))

from test_grader_broken_implementations import (  # noqa: E402
    ALTERNATIVES_DIR,
    BROKEN_DIR,
    SETTINGS,
    Variant,
    _in_grading_order,
    apply_variant,
    docs_section,
    load_variants,
)

from ner_helpers.checks.runner import CheckResult, run_own_check  # noqa: E402
from ner_helpers.checks.todos import TODOS  # noqa: E402

CHECK_MODULES = ("tokenizer_checks", "collator_checks", "embedding_checks", "trainer_checks",
                 "ffnn_checks", "rnn_checks")
#: The entries whose rows docs/grading.md shows in "Trainer: what the public checks reveal".
DOCS_ENTRIES = "trainer"
DOCS_HEADING = "Trainer: what the public checks reveal"


@contextlib.contextmanager
def variant_in_place(variant: Variant) -> Iterator[None]:
    """Inside the block the check modules test ``variant``'s file instead of the kit's."""
    stem = variant.file.removesuffix(".py")
    name = f"ner_helpers._catalogue_{stem}"
    module = types.ModuleType(name)
    module.__file__ = str(REPO / "ner_helpers" / variant.file)
    sys.modules[name] = module
    swapped = []
    try:
        exec(compile(apply_variant(variant), module.__file__, "exec"), module.__dict__)
        for check_name in CHECK_MODULES:
            checks = importlib.import_module(f"ner_helpers.checks.{check_name}")
            attribute = f"{stem}_module"
            if hasattr(checks, attribute):
                swapped.append((checks, attribute, getattr(checks, attribute)))
                setattr(checks, attribute, module)
        yield
    finally:
        for checks, attribute, original in swapped:
            setattr(checks, attribute, original)
        sys.modules.pop(name, None)


def public_check(variant: Variant, todo: str) -> CheckResult:
    """The public check of ``todo`` run on ``variant``."""
    with variant_in_place(variant):
        return run_own_check(TODOS[todo.removeprefix("TODO-")])


def public_checks_table(variants: list[Variant]) -> str:
    """The Markdown table: for each broken implementation, whether the public check of its
    TODO catches it, and what it says."""
    rows = ["| TODO | entry | caught by `ner-kit check`? | what the check says |",
            "|---|---|---|---|"]
    for variant in _in_grading_order(variants, SETTINGS):
        own = variant.todos[0]
        result = public_check(variant, own)
        said = "" if result.passed else str(result.failure).split(": ", 1)[-1]
        said = " ".join(said.split()).replace("|", "\\|")
        rows.append(f"| {own} | `{variant.name}` | {'no' if result.passed else 'yes'} | "
                    f"{said} |")
    return "\n".join(rows)


def matching(variants: list[Variant], fragments: list[str]) -> list[Variant]:
    return [v for v in variants if not fragments or any(f in v.name for f in fragments)]


ALTERNATIVES = load_variants(ALTERNATIVES_DIR)


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=lambda v: v.name)
def test_correct_alternative_passes_the_public_checks(variant: Variant) -> None:
    for todo in variant.todos:
        result = public_check(variant, todo)
        assert result.passed, f"{variant.name}: {result.failure}"


def test_docs_show_what_the_public_checks_reveal() -> None:
    table = public_checks_table(matching(load_variants(BROKEN_DIR), [DOCS_ENTRIES]))
    section = docs_section()
    assert f"### {DOCS_HEADING}" in section, f"docs/grading.md needs a section {DOCS_HEADING!r}"
    assert table in section.split(f"### {DOCS_HEADING}", 1)[1], (
        "docs/grading.md is out of date; print the table with "
        f"`.venv/bin/python tests/test_public_checks_catalogue.py {DOCS_ENTRIES}`")


if __name__ == "__main__":
    print(public_checks_table(matching(load_variants(BROKEN_DIR), sys.argv[1:])))
