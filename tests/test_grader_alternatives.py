"""Correct implementations that differ from the reference keep full marks.

``tests/correct_alternatives/`` holds one YAML file per alternative, in the
format of ``tests/broken_implementations/`` (see
tests/test_grader_broken_implementations.py): the student file, the TODOs it
covers, what it does differently, and either whole new solution bodies
(``solutions``) or snippets replaced (``change``). Each is graded as a
submission, all in one batch with two workers (milestone files as milestone
submissions, the model files with the hidden tests of the final kind), and must
pass every hidden test. A hidden test that fails here is too strict: it checks
how the reference is written instead of what it does.

The batch takes about 25 s on two cores, hence the slow mark on the grading
test; the catalogue checks are fast. ``CATALOGUE_FILTER`` grades only some entries
(see tests/test_grader_broken_implementations.py).
"""

from __future__ import annotations

import pytest
from test_grader_broken_implementations import (
    ALTERNATIVES_DIR,
    SETTINGS,
    Graded,
    Variant,
    alternatives_table,
    apply_variant,
    docs_section,
    graded_once,
    load_variants,
    reference_text,
    selected,
)

from autograder.release.markers import find_regions

ALTERNATIVES = load_variants(ALTERNATIVES_DIR)


def test_there_are_alternatives_for_the_tricky_todos() -> None:
    covered = {todo for variant in ALTERNATIVES for todo in variant.todos}
    assert len(ALTERNATIVES) >= 5
    assert {"TODO-1.1-1", "TODO-1.2-1", "TODO-3-1", "TODO-4-2", "TODO-5-2"} <= covered


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=lambda v: v.name)
def test_alternative_is_well_formed(variant: Variant) -> None:
    """It changes every TODO it names, applies to the current reference, compiles, and
    expects no lost points."""
    assert variant.description and not variant.lost, variant.name
    assert variant.change or variant.solutions, f"{variant.name}: no change"
    text = apply_variant(variant)
    compile(text, variant.file, "exec")
    reference = reference_text(variant.file)
    lines, reference_lines = text.split("\n"), reference.split("\n")
    regions = {region.todo: region for region in find_regions(text, variant.file)}
    reference_regions = {region.todo: region for region in find_regions(reference)}
    for todo in variant.todos:
        new, old = regions[todo], reference_regions[todo]
        assert (lines[new.begin_line:new.end_line] !=
                reference_lines[old.begin_line:old.end_line]), f"{variant.name}: {todo} unchanged"


def test_docs_list_the_alternatives() -> None:
    assert alternatives_table(ALTERNATIVES, SETTINGS) in docs_section(), (
        "docs/grading.md is out of date; print the tables with "
        "`.venv/bin/python tests/test_grader_broken_implementations.py`")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return graded_once("alternatives", selected(ALTERNATIVES), SETTINGS, tmp_path_factory)


@pytest.mark.slow
@pytest.mark.xdist_group("grader_alternatives")
@pytest.mark.parametrize("variant", selected(ALTERNATIVES), ids=lambda v: v.name)
def test_alternative_keeps_full_marks(variant: Variant, graded: dict[str, Graded]) -> None:
    result = graded[variant.name]
    assert result.status == "graded", f"{variant.name}: {result.status}"
    assert result.failed == {}, f"{variant.name} lost points: {result.failed}"
    assert result.todo_points, variant.name
    for todo, (points, maximum) in result.todo_points.items():
        assert points == maximum > 0, (variant.name, todo, points, maximum)
    graded_todos = set(SETTINGS.kinds[variant.kind].todos)
    assert set(variant.todos) <= graded_todos and set(result.todo_points) == graded_todos
