"""The collaboration statement cells of the assignment notebook, from the release settings.

The notebook opens with a locked question (cell ``collaboration-question``) and
the student's answer below it (cell ``collaboration-statement``, a manually graded
written answer). ``collaboration_statement`` of ``release.yaml`` gives the
question's wording and the answer's points; :func:`question_text` renders the
question, and :func:`apply_statement_settings` writes both into a notebook file.
The release applies them to nbgrader's source copy before ``nbgrader
generate_assignment``, so the student notebook and nbgrader's gradebook (the
points formgrader shows) follow the settings even when the instructor's notebook
was built with other ones.
"""

from __future__ import annotations

import json
from pathlib import Path

from ner_helpers.colab import notebook_json
from ner_helpers.collaboration_statement import QUESTION_CELL_ID, STATEMENT_CELL_ID

#: Said under the question when the statement earns no points.
NOT_SCORED = "*(not scored: the course staff read it)*"


def question_text(wording: str, points: float) -> str:
    """The question cell's Markdown: the wording, then its points (or that it is not
    scored)."""
    if points == 0:
        note = NOT_SCORED
    else:
        note = f"*({points:g} point{'' if points == 1 else 's'})*"
    return f"{wording.strip()}\n\n{note}"


def apply_statement_settings(notebook_file: str | Path, wording: str, points: float) -> bool:
    """Write the question's wording and the answer's nbgrader points into a notebook.

    Returns True when the file changed.

    Raises:
        ValueError: the notebook lacks either cell, or the answer cell carries no
            nbgrader metadata.
    """
    path = Path(notebook_file)
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    cells = {cell.get("id"): cell for cell in notebook.get("cells", [])}
    for cell_id in (QUESTION_CELL_ID, STATEMENT_CELL_ID):
        if cell_id not in cells:
            raise ValueError(f"{path}: no cell with id {cell_id!r}")
    nbgrader = cells[STATEMENT_CELL_ID].get("metadata", {}).get("nbgrader")
    if not isinstance(nbgrader, dict):
        raise ValueError(f"{path}: the {STATEMENT_CELL_ID!r} cell has no nbgrader metadata")
    cells[QUESTION_CELL_ID]["source"] = question_text(wording, points)
    nbgrader["points"] = int(points) if float(points).is_integer() else points
    new_text = notebook_json(notebook)
    if new_text == text:
        return False
    path.write_text(new_text, encoding="utf-8")
    return True
