"""Secret and public lines of the instructor's nbgrader notebooks.

nbgrader marks a cell with ``metadata.nbgrader``: ``solution`` cells hold the
reference answer (code or a written answer), ``grade`` cells are graded, and
test cells may hold hidden tests. In a cell, the secret regions are

- ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` (the whole cell when a solution
  cell has no such markers: nbgrader then replaces all of it),
- ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``,
- ``=== BEGIN MARK SCHEME ===`` ... ``=== END MARK SCHEME ===``.

Markers are recognised the way nbgrader recognises them: a line containing the
delimiter text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ner_helpers.errors import KitError

#: (begin, end, what the region holds), as nbgrader spells its delimiters.
REGIONS = (
    ("BEGIN SOLUTION", "END SOLUTION", "solution"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden test"),
    ("BEGIN MARK SCHEME", "END MARK SCHEME", "mark scheme"),
)


@dataclass(frozen=True)
class CellLine:
    """One line of a notebook cell: 1-based cell and line numbers, and the secret kind.

    ``kind`` is ``None`` for a public line, else ``"solution"``, ``"hidden test"`` or
    ``"mark scheme"``; marker lines themselves have kind ``"marker"``.
    """

    cell: int
    line: int
    text: str
    kind: str | None


def read_notebook(path: Path) -> dict[str, Any]:
    """Read a notebook's JSON, cell sources joined into strings.

    Plain JSON keeps the leak check light (no nbformat import); a broken file
    is a located error.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise KitError(f"{path}: not a readable notebook ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        raise KitError(f"{path}: not a notebook (no list of cells)")
    for cell in nb.get("cells", []):
        if isinstance(cell, dict):
            cell["source"] = cell_source(cell)
    return nb


def cell_source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (notebook files may store a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def nbgrader_meta(cell: Any) -> dict[str, Any]:
    """The cell's nbgrader metadata (empty when it has none)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_solution_cell(cell: Any) -> bool:
    return bool(nbgrader_meta(cell).get("solution", False))


def _has_marker(source: str) -> bool:
    return any(begin in source for begin, _, _ in REGIONS)


def cell_lines(cell: Any, number: int) -> Iterator[CellLine]:
    """Every line of one cell, each with the kind of region it sits in."""
    source = cell.get("source", "")
    whole_solution = is_solution_cell(cell) and "BEGIN SOLUTION" not in source
    open_kind: str | None = None
    for line_number, text in enumerate(source.split("\n"), start=1):
        begin = next((kind for b, _, kind in REGIONS if b in text), None)
        end = next((kind for _, e, kind in REGIONS if e in text), None)
        if begin is not None or end is not None:
            yield CellLine(number, line_number, text, "marker")
            open_kind = begin if begin is not None else None
            continue
        kind = open_kind or ("solution" if whole_solution else None)
        yield CellLine(number, line_number, text, kind)


def notebook_lines(nb: Any) -> Iterator[CellLine]:
    """:func:`cell_lines` of every cell of a notebook, in order."""
    for number, cell in enumerate(nb.get("cells", []), start=1):
        yield from cell_lines(cell, number)


def solution_cell_sources(nb: Any) -> dict[str, str]:
    """``grade_id -> source`` of the solution cells that hold any solution text."""
    found: dict[str, str] = {}
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if not is_solution_cell(cell):
            continue
        secret = [line.text for line in cell_lines(cell, number)
                  if line.kind == "solution" and line.text.strip()]
        if secret:
            grade_id = str(nbgrader_meta(cell).get("grade_id", f"cell-{number}"))
            found[grade_id] = cell.get("source", "")
    return found


def has_markers(nb: Any) -> bool:
    """Whether any cell still holds a solution, hidden test or mark scheme marker."""
    return any(_has_marker(cell.get("source", "")) for cell in nb.get("cells", []))
