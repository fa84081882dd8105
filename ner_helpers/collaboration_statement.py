"""The collaboration statement: whom and what a student consulted.

The assignment notebook opens with a locked question cell (id
``collaboration-question``; its wording comes from ``collaboration_statement``
in the release settings) and the student's answer below it (id
``collaboration-statement``), a manually graded written answer worth
``collaboration_statement.points`` (0 by default) that nbgrader's formgrader
shows beside the other written answers. :func:`statement_state` says whether it
was filled in; the submission command warns (or refuses) when it was not, and
the grader and the gradebook merge record the same state, never the text.

Notebooks are read as data; this module imports only the standard library and
the kit's constants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Cell ids (nbgrader grade ids too) of the question and of the answer.
QUESTION_CELL_ID = "collaboration-question"
STATEMENT_CELL_ID = "collaboration-statement"
#: What nbgrader leaves in an unanswered written-answer cell.
ANSWER_STUB = "YOUR ANSWER HERE"

#: The states :func:`statement_state` returns.
ANSWERED = "answered"
EMPTY = "empty"
MISSING = "missing"


def _text(source: Any) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str))
    return ""


def _grade_id(cell: Mapping[str, Any]) -> Any:
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, Mapping) else None
    return nbgrader.get("grade_id") if isinstance(nbgrader, Mapping) else None


def is_statement_cell(cell: Any) -> bool:
    """Whether ``cell`` is the statement's answer (by cell id, or by nbgrader grade id,
    which survives front ends that drop cell ids)."""
    return isinstance(cell, Mapping) and cell.get("cell_type") == "markdown" and (
        cell.get("id") == STATEMENT_CELL_ID or _grade_id(cell) == STATEMENT_CELL_ID)


def statement_cell(notebook: Any) -> Mapping[str, Any] | None:
    """The statement's answer cell of a notebook (parsed JSON), or ``None``."""
    cells = notebook.get("cells") if isinstance(notebook, Mapping) else None
    if not isinstance(cells, list):
        return None
    return next((cell for cell in cells if is_statement_cell(cell)), None)


def statement_state(notebook: Any) -> str:
    """:data:`ANSWERED`, :data:`EMPTY` (blank or nbgrader's stub) or :data:`MISSING`."""
    cell = statement_cell(notebook)
    if cell is None:
        return MISSING
    return EMPTY if _text(cell.get("source")).strip() in ("", ANSWER_STUB) else ANSWERED


def statement_problem(notebook: Any) -> str | None:
    """What the student should do about the statement, or ``None`` when it is filled in."""
    state = statement_state(notebook)
    if state == ANSWERED:
        return None
    if state == MISSING:
        return ("the collaboration statement cell (at the top of the notebook) is missing: "
                "restore it from a fresh copy of the notebook and fill it in")
    return ("the collaboration statement at the top of the notebook is empty: write whom "
            "and what you consulted besides the course staff and materials (or that you "
            "consulted no one), then submit again")
