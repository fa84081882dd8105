"""The gradebook: one CSV row per submission of a batch.

Columns: ``submission``, ``student_id``, ``name``, ``kind``, ``status``
(``graded``, ``rejected: <reason>`` or ``error: <reason>``), ``score``,
``max_score``, then the points of every TODO (empty when the kind does not
grade it), then per model its performance points and F1, then the notebook's
``run_order`` (``in order`` or the problem and cell number) and
``collaboration_statement`` (``answered``, ``empty``, ``missing``; never its
text), then ``needs_review`` (the model TODOs flagged as right under other layer
names, with the points at stake and the setting that decided them; empty for
most). A submission that could not be graded at all still gets a row, with its
status saying why.
Every text cell is cleaned to one line (no control, escape or bidirectional
characters); text that a spreadsheet would read as a formula, also after NFKC
normalisation, is written with a leading apostrophe
(:func:`autograder.grader.safe_text.csv_cell`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from autograder.grader.result import GradingResult
from autograder.grader.safe_text import csv_cell
from autograder.grader.settings import GradingSettings

#: The kind column of a rejected submission whose kind could not be read.
UNKNOWN_KIND = "unknown"
#: The guard of every CSV the kit writes (also the leaderboard and nbgrader files).
safe_cell = csv_cell
#: The notebook's findings (autograder/grader/notebook_findings.py).
NOTEBOOK_COLUMNS = ("run_order", "collaboration_statement")


def columns(settings: GradingSettings) -> list[str]:
    fixed = ["submission", "student_id", "name", "kind", "status", "score", "max_score"]
    models = [column for model in settings.models
              for column in (f"{model}_points", f"{model}_f1")]
    return fixed + list(settings.todos) + models + list(NOTEBOOK_COLUMNS) + ["needs_review"]


def result_row(result: GradingResult) -> dict[str, Any]:
    """The gradebook row of one result (:func:`rejected_row` for a rejected one)."""
    return rejected_row(result) if result.rejected else _graded_row(result)


def _graded_row(result: GradingResult) -> dict[str, Any]:
    identity = result.identity or {}
    row: dict[str, Any] = {
        "submission": result.submission,
        "student_id": identity.get("student_id", ""),
        "name": identity.get("name", ""),
        "kind": result.kind,
        "status": status(result),
        "score": result.score,
        "max_score": result.max_score,
    }
    for todo, (points, _) in result.todo_points().items():
        row[todo] = points
    for item in result.performance:
        row[f"{item.model}_points"] = item.points
        row[f"{item.model}_f1"] = "" if item.f1 is None else round(item.f1, 4)
    if result.notebook is not None:
        row["run_order"] = result.notebook.run_order
        row["collaboration_statement"] = result.notebook.statement
    row["needs_review"] = "; ".join(finding.summary() for finding in result.reviews)
    return row


def rejected_row(result: GradingResult) -> dict[str, Any]:
    """The row of a rejected submission: no TODO or model points (nothing was graded).

    When the submission was rejected before its kind could be read (a batch
    graded with kind ``auto``), its kind and maximum are left blank rather than
    guessed.
    """
    row = {name: value for name, value in _graded_row(result).items()
           if name in ("submission", "student_id", "name", "kind", "status", "score",
                       "max_score")}
    if not result.kind_known:
        row["kind"] = UNKNOWN_KIND
        row["max_score"] = ""
    return row


def status(result: GradingResult) -> str:
    """``graded``, ``rejected: <reason>`` (the submission's fault) or ``error: <reason>``
    (the grader's fault)."""
    if result.grader_error:
        return f"error: the grader failed ({result.grader_error})"
    if result.rejected:
        return f"rejected: {result.rejected}"
    return "graded"


def error_row(submission: str, message: str) -> dict[str, Any]:
    return {"submission": submission, "status": f"error: {message}"}


def write_gradebook(rows: Iterable[Mapping[str, Any]], path: str | Path,
                    settings: GradingSettings, extra_columns: Sequence[str] = ()) -> Path:
    """Write the gradebook; ``extra_columns`` (e.g. the late policy's) follow the usual ones."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = columns(settings) + [name for name in extra_columns
                                 if name not in columns(settings)]
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        for row in sorted(rows, key=lambda r: str(r.get("submission", ""))):
            writer.writerow({name: csv_cell(row.get(name, "")) for name in names})
    temporary.replace(path)
    return path
