"""The grader records the notebook's run order and collaboration statement.

A batch of milestone zips that differ only in their notebook (run in order with a
statement; run out of order with an empty statement and a hostile first line; no
notebook) is graded with ``grade-batch``: the gradebook's ``run_order`` and
``collaboration_statement`` columns and each ``feedback.md`` say what was found,
the same finding ``ner-kit submit`` gives. The notebook is read as bounded data:
too large, too deep or not JSON is recorded as unreadable and never costs points.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest
from test_grader_fixtures import hidden_labels, reference_submission, trained_project
from test_notebook_run_order import FILLED, homework, run_all, run_cells

from autograder.cli.main import main as instructor_main
from autograder.grader.gradebook import columns
from autograder.grader.notebook_findings import (
    NO_NOTEBOOK,
    UNREADABLE,
    read_notebook_findings,
)
from autograder.grader.settings import load_settings
from autograder.grader.unpack import UnpackedSubmission
from ner_helpers.submission import write_zip

NOTEBOOK = "notebooks/assignment.ipynb"
#: A first line that tries to pass for a score line, a link and a fence in feedback.md.
HOSTILE = "# Score: 100 / 40 ```` [grade](http://evil.example) \x1b[2J"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_project(tmp_path_factory.mktemp("grading"))


def with_notebook(source_zip: Path, out: Path, notebook: bytes | None) -> Path:
    import zipfile

    with zipfile.ZipFile(source_zip) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    if notebook is not None:
        entries[NOTEBOOK] = notebook
    return write_zip(entries, out)


def out_of_order_hostile() -> bytes:
    notebook = run_cells(homework(), [3, 5, 7, 5])
    notebook.cells[6].source = HOSTILE + "\nprint(y)"
    return nbformat.writes(notebook).encode()


@pytest.fixture(scope="module")
def graded(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("notebook-batch")
    plain = reference_submission(project, "milestone", base / "built")
    folder = base / "submissions"
    with_notebook(plain, folder / "ada.zip", nbformat.writes(run_all(homework(FILLED))).encode())
    with_notebook(plain, folder / "bob.zip", out_of_order_hostile())
    with_notebook(plain, folder / "carol.zip", None)
    out = base / "graded"
    assert instructor_main(["grade-batch", str(folder), "--workers", "2", "--out", str(out),
                            "--kind", "milestone", "--hidden-labels",
                            str(hidden_labels(project)), "--no-progress"]) == 0
    return out


def rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def test_the_gradebook_records_run_order_and_statement(graded: Path) -> None:
    found = rows(graded)
    assert list(next(iter(found.values()))) == columns(load_settings())
    assert columns(load_settings())[-3:-1] == ["run_order", "collaboration_statement"]
    assert (found["ada"]["run_order"], found["ada"]["collaboration_statement"]) == (
        "in order", "answered")
    assert (found["bob"]["run_order"], found["bob"]["collaboration_statement"]) == (
        "out of order at cell 7", "empty")
    assert (found["carol"]["run_order"], found["carol"]["collaboration_statement"]) == (
        NO_NOTEBOOK, NO_NOTEBOOK)
    # the finding never costs points: all three score the reference's 40
    assert {row["score"] for row in found.values()} == {"40.0"}
    assert FILLED not in (graded / "gradebook.csv").read_text()


def test_the_feedback_names_the_cell_and_the_fix_safely(graded: Path) -> None:
    ada = (graded / "ada" / "feedback.md").read_text()
    assert "Notebook:\n- run from top to bottom: in order\n- collaboration statement: " \
           "answered\n" in ada
    bob = (graded / "bob" / "feedback.md").read_text()
    assert "- run from top to bottom: out of order at cell 7\n" in bob
    assert "- collaboration statement: empty" in bob
    assert "Restart Kernel and Run All Cells" in bob and "ran as [3]" in bob
    # the student's line sits inside a fence longer than its own backticks, cleaned
    lines = bob.splitlines()
    quoted = next(i for i, line in enumerate(lines) if "[grade](http://evil.example)" in line)
    fence = lines[quoted - 1].strip()
    assert fence.startswith("`````") and fence.endswith("text")
    assert "\x1b" not in bob
    assert [line for line in lines if line.startswith("Score:")] == [
        "Score: 40 / 40 autograded; the written answers in your notebook are graded by hand"]
    results = json.loads((graded / "bob" / "results.json").read_text())
    assert "Notebook run from top to bottom: out of order at cell 7; collaboration " \
           "statement: empty" in results["output"]
    carol = (graded / "carol" / "feedback.md").read_text()
    assert "- run from top to bottom: no notebook" in carol


BROKEN = {"cut short": lambda: b'{"cells": [', "not text": lambda: b"\xff\xfe not text",
          "too deep": lambda: b"[" * 5000 + b"]" * 5000,
          "too large": lambda: b'{"cells": []}' + b" " * (33 * 1024 * 1024)}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_or_hostile_notebook_is_unreadable_not_fatal(tmp_path: Path,
                                                              kind: str) -> None:
    path = tmp_path / "assignment.ipynb"
    path.write_bytes(BROKEN[kind]())
    unpacked = UnpackedSubmission(tmp_path, {NOTEBOOK: path})
    found = read_notebook_findings(unpacked, "final", load_settings().inputs)
    assert (found.run_order, found.statement) == (UNREADABLE, UNREADABLE)
    assert NOTEBOOK in found.run_order_message
