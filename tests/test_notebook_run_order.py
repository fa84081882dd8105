"""Was the notebook run top to bottom in one kernel session, and is the statement filled in?

Notebooks are run in a real Jupyter kernel (nbclient), cell by cell in the order a
student would click them, so the execution counts and outputs the checks read are
the ones Jupyter writes. Then ``ner-kit submit`` (warn and refuse) reads them from
a saved notebook. About 10 s, most of it starting kernels.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from ner_helpers.cli.main import main as kit_main
from ner_helpers.collaboration_statement import (
    ANSWERED,
    EMPTY,
    MISSING,
    statement_problem,
    statement_state,
)
from ner_helpers.notebook_run_order import (
    ERROR_OUTPUT,
    IN_ORDER,
    NOT_RESTARTED,
    NOT_RUN,
    OUT_OF_ORDER,
    check_run_order,
    first_line,
)

#: What the message tells the student to do, in both front ends.
RUN_ALL = ("Kernel > Restart Kernel and Run All Cells", "Runtime > Restart session and run all")
ERROR_MIDDLE = "y = undefined_name + 1"
FILLED = "I discussed padding with Grace Hopper and read the nn.Embedding documentation."


def statement_cells(answer: str) -> list[nbformat.NotebookNode]:
    question = nbformat.v4.new_markdown_cell("**Collaboration statement.** Whom did you "
                                             "consult?", id="collaboration-question")
    statement = nbformat.v4.new_markdown_cell(answer, id="collaboration-statement")
    statement.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False,
                                      "points": 0, "grade_id": "collaboration-statement",
                                      "schema_version": 3}
    return [question, statement]


def homework(answer: str = "YOUR ANSWER HERE", middle: str = "y = x + 1") -> nbformat.NotebookNode:
    """A notebook shaped like the assignment: the statement on top, code cells, an empty
    code cell, the milestone submission cell, and a cell below it.

    Cells (numbered from 1 as the messages number them): 1-2 the statement, 3 ``x = 1``
    (which also stands in for the kit's ``submit``),
    4 markdown, 5 ``middle``, 6 empty, 7 ``print(y)``, 8 the submission cell, 9 below it.
    """
    cells = [*statement_cells(answer),
             nbformat.v4.new_code_cell("x = 1\nsubmit = print", id="first"),
             nbformat.v4.new_markdown_cell("## Section", id="section"),
             nbformat.v4.new_code_cell(f"# the middle cell\n{middle}", id="middle"),
             nbformat.v4.new_code_cell("", id="empty"),
             nbformat.v4.new_code_cell("print(y)", id="last"),
             nbformat.v4.new_code_cell('submit("milestone")  # builds the zip',
                                       id="milestone-submit"),
             nbformat.v4.new_code_cell("z = 3", id="below")]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


_runs: dict[str, str] = {}


def run_cells(notebook: nbformat.NotebookNode, order: list[int]) -> nbformat.NotebookNode:
    """Run the cells at ``order`` (1-based positions) in one fresh kernel, as clicked, and
    return the notebook as Jupyter leaves it (each run once per process; a fresh copy for
    every caller). The submission cell only prints here (no zip is built)."""
    key = json.dumps([nbformat.writes(notebook), order])
    if key not in _runs:
        client = NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True)
        with client.setup_kernel():
            for position in order:
                client.execute_cell(notebook.cells[position - 1], position - 1)
        _runs[key] = nbformat.writes(notebook)
    return nbformat.reads(_runs[key], as_version=4)


def run_all(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Restart and run all: every code cell, top to bottom, in a fresh kernel."""
    return run_cells(notebook, [i + 1 for i, cell in enumerate(notebook.cells)
                                if cell.cell_type == "code"])


# ---------------------------------------------------------------------------- the check
def test_run_all_is_in_order_and_cells_below_the_submission_cell_are_not_checked():
    notebook = run_all(homework())
    counts = [cell.execution_count for cell in notebook.cells if cell.cell_type == "code"]
    assert counts == [1, 2, None, 3, 4, 5], "Jupyter itself gives an empty cell no count"
    finding = check_run_order(notebook, "milestone")
    assert finding.in_order and finding.status == IN_ORDER
    assert finding.checked_cells == 3 and finding.submit_cell == 8

    below_never_run = run_cells(homework(), [3, 5, 7, 8])
    assert check_run_order(below_never_run, "milestone").in_order
    whole = check_run_order(below_never_run)  # no kind: the whole notebook is checked
    assert (whole.problem, whole.cell_number, whole.first_line) == (NOT_RUN, 9, "z = 3")


def test_a_cell_run_again_later_is_out_of_order():
    notebook = run_cells(homework(), [3, 5, 7, 5])  # the middle cell re-run after the last
    finding = check_run_order(notebook, "milestone")
    assert finding.problem == OUT_OF_ORDER
    assert (finding.cell_number, finding.first_line) == (7, "print(y)")
    assert (finding.execution_count, finding.previous_count) == (3, 4)
    assert finding.status == "out of order at cell 7"
    message = finding.message()
    assert "cell 7 (`print(y)`) ran as [3], before a cell above it that ran as [4]" in message
    assert all(step in message for step in RUN_ALL) and "submit again" in message


def test_a_kernel_that_was_not_restarted_is_named():
    notebook = run_cells(homework(), [3, 3, 5, 7])
    finding = check_run_order(notebook, "milestone")
    assert (finding.problem, finding.cell_number, finding.execution_count) == (
        NOT_RESTARTED, 3, 2)
    assert "not [1]: the kernel was not restarted" in finding.message()


def test_an_error_cell_is_named_with_its_fix():
    notebook = run_all(homework(middle=ERROR_MIDDLE))
    finding = check_run_order(notebook, "milestone")
    assert (finding.problem, finding.cell_number, finding.first_line) == (
        ERROR_OUTPUT, 5, "# the middle cell")
    assert finding.message().startswith("the notebook was not run from top to bottom")
    assert "ended with an error. To fix it, fix what its error says, then restart" in \
        finding.message()


def test_a_cell_never_run_is_named():
    notebook = run_cells(homework(), [3, 7])  # the middle cell skipped
    finding = check_run_order(notebook, "milestone")
    assert (finding.problem, finding.cell_number) == (NOT_RUN, 5)
    assert "cell 5 (`# the middle cell`) was never run" in finding.message()
    # a notebook saved without running anything: its first code cell
    assert check_run_order(homework(), "milestone").cell_number == 3


def test_the_submission_cell_is_found_by_its_call_when_ids_are_gone():
    """Front ends that drop cell ids still leave the cell's text."""
    notebook = run_cells(homework(), [3, 5, 7, 8])
    for cell in notebook.cells:
        cell.pop("id", None)
    assert check_run_order(notebook, "milestone").submit_cell == 8
    assert check_run_order(notebook, "final").submit_cell is None


@pytest.mark.parametrize("notebook", [None, [], {"cells": "no"}, {"cells": [1, "x", None]},
                                      {"cells": [{"cell_type": "code", "source": 7,
                                                  "execution_count": True}]}])
def test_malformed_notebooks_are_read_as_data(notebook):
    finding = check_run_order(notebook, "final")
    assert finding.in_order or finding.problem == NOT_RUN
    assert statement_state(notebook) == MISSING


def test_first_lines_are_one_printable_short_line():
    assert first_line(["\n", "  \x1b[31mred\t\n", "second"]) == "[31mred"
    assert len(first_line("x" * 500)) == 60


def test_the_statement_states():
    assert statement_state(homework(FILLED)) == ANSWERED
    assert statement_problem(homework(FILLED)) is None
    for empty in ("YOUR ANSWER HERE", "  \n", ""):
        assert statement_state(homework(empty)) == EMPTY
        assert "collaboration statement at the top of the notebook is empty" in \
            statement_problem(homework(empty))
    without = homework(FILLED)
    del without.cells[:2]
    assert statement_state(without) == MISSING
    # found by its nbgrader grade id when the front end dropped the cell ids
    colab_style = json.loads(nbformat.writes(homework(FILLED)))
    for cell in colab_style["cells"]:
        cell.pop("id")
    assert statement_state(colab_style) == ANSWERED


# ---------------------------------------------------------------------------- ner-kit submit
@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A student's working copy with a stored identity (the milestone needs no models)."""
    from ner_helpers.submission import save_identity

    root = tmp_path / "homework"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    monkeypatch.chdir(root)
    save_identity("s1234567", "Ada Lovelace")
    return root


def save(notebook: nbformat.NotebookNode, project: Path) -> Path:
    path = project / "notebooks" / "assignment.ipynb"
    nbformat.write(notebook, str(path))
    return path


def with_settings(monkeypatch, **submission: str) -> None:
    """kit.yaml with other submission.run_order / collaboration_statement values."""
    import ner_helpers.submission as module
    from ner_helpers.config import kit_config

    config = kit_config()
    config["submission"].update(submission)
    monkeypatch.setattr(module, "kit_config", lambda: config)


def test_submit_warns_by_default_and_writes_the_zip(project, capsys):
    path = save(run_cells(homework(), [3, 5, 7, 5]), project)
    assert kit_main(["submit", "milestone", "--out-dir", str(project / "out")]) == 0
    printed = capsys.readouterr().out
    assert f"warning: {path}: the notebook was not run from top to bottom" in printed
    assert "cell 7 (`print(y)`) ran as [3]" in printed
    assert "collaboration statement at the top of the notebook is empty" in printed
    assert (project / "out" / "milestone-001.zip").is_file()


def test_submit_is_quiet_for_a_notebook_run_in_order_with_a_statement(project, capsys):
    save(run_all(homework(FILLED)), project)
    assert kit_main(["submit", "milestone", "--check"]) == 0
    printed = capsys.readouterr().out
    assert "top to bottom" not in printed and "collaboration" not in printed
    assert "the milestone submission is ready" in printed


def test_submit_refuses_when_the_settings_say_so(project, monkeypatch, capsys):
    with_settings(monkeypatch, run_order="refuse", collaboration_statement="refuse")
    save(run_all(homework(middle=ERROR_MIDDLE)), project)
    assert kit_main(["submit", "milestone", "--out-dir", str(project / "out")]) == 2
    err = capsys.readouterr().err
    assert "the milestone submission was not written" in err and "Traceback" not in err
    assert "cell 5 (`# the middle cell`) ended with an error" in err
    assert "collaboration statement at the top of the notebook is empty" in err
    assert not (project / "out").exists()

    save(run_all(homework(FILLED)), project)
    assert kit_main(["submit", "milestone", "--out-dir", str(project / "out")]) == 0


def test_off_checks_nothing_and_a_bad_setting_is_one_line(project, monkeypatch, capsys):
    save(homework(), project)  # never run, statement empty
    with_settings(monkeypatch, run_order="off", collaboration_statement="off")
    assert kit_main(["submit", "milestone", "--check"]) == 0
    assert "warning" not in capsys.readouterr().out
    with_settings(monkeypatch, run_order="sometimes")
    assert kit_main(["submit", "milestone", "--check"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("error: kit.yaml: submission.run_order is 'sometimes'; use one of "
                           "warn, refuse, off")
