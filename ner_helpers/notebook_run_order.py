"""Whether a notebook was run from top to bottom in one kernel session.

Courses ask students to restart the kernel and run all cells before handing a
notebook in, so that what the grader reads is what the code produces. A saved
notebook (or the one open in Colab) keeps the evidence: each code cell that ran
carries its ``execution_count`` and its outputs. :func:`check_run_order` reads
them, in the cells above the submission cell of the given kind (the cell that
builds the zip: id ``<kind>-submit``, or the first code cell calling
``submit("<kind>")``; the whole notebook when there is none), and finds the first
code cell that breaks one of these rules:

- it ran (an empty cell needs not run): its execution count is present;
- counts increase from 1 without going back: the first cell that ran has
  count 1 (the kernel was restarted), and every later cell a larger count
  than every cell above it (gaps are fine: a scratch cell run and deleted);
- no output of it is an error.

The notebook is data, read as JSON and never executed: the submission command
checks the student's own notebook, and the grader a notebook from a submission,
with the same function. Nothing here imports more than the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The problems a finding names (``""`` when the notebook ran in order).
NOT_RUN = "cell not run"
NOT_RESTARTED = "kernel not restarted"
OUT_OF_ORDER = "out of order"
ERROR_OUTPUT = "error output"
IN_ORDER = "in order"

#: What fixes every problem but an error: the run-all command of both front ends.
RESTART_AND_RUN_ALL = (
    "restart the kernel and run all cells (JupyterLab: Kernel > Restart Kernel and Run All "
    "Cells; Colab: Runtime > Restart session and run all), save the notebook, then submit "
    "again")
#: The first line of a cell is cut to this many characters in messages.
FIRST_LINE_CHARS = 60
#: The submission cell of each kind: its id, or a line calling ``submit("<kind>")``.
SUBMIT_CELL_ID = "{kind}-submit"
_SUBMIT_CALL = r"^\s*submit\(\s*[\"']{kind}[\"']"


@dataclass(frozen=True)
class RunOrderFinding:
    """What :func:`check_run_order` found.

    Attributes:
        problem: ``""`` when the checked cells ran in order, else one of
            :data:`NOT_RUN`, :data:`NOT_RESTARTED`, :data:`OUT_OF_ORDER`,
            :data:`ERROR_OUTPUT`.
        cell_number: the offending cell's position in the notebook, counting every
            cell from 1 (markdown cells too), as a reader counts them from the top.
        first_line: the offending cell's first non-blank line, cut short.
        execution_count: its execution count (``None`` when it never ran).
        previous_count: the largest count above it (for :data:`OUT_OF_ORDER`).
        checked_cells: how many code cells were checked.
        submit_cell: the position of the submission cell that ends the checked
            cells (``None``: there was none and the whole notebook was checked).
    """

    problem: str = ""
    cell_number: int | None = None
    first_line: str = ""
    execution_count: int | None = None
    previous_count: int | None = None
    checked_cells: int = 0
    submit_cell: int | None = None

    @property
    def in_order(self) -> bool:
        return not self.problem

    @property
    def status(self) -> str:
        """One short line for a gradebook: ``in order`` or ``<problem> at cell N``."""
        return IN_ORDER if self.in_order else f"{self.problem} at cell {self.cell_number}"

    def describe(self) -> str:
        """What is wrong, naming the cell by its number and first line ("" when in order)."""
        if self.in_order:
            return ""
        cell = f"cell {self.cell_number} (`{self.first_line}`)"
        if self.problem == NOT_RUN:
            return f"{cell} was never run"
        if self.problem == NOT_RESTARTED:
            return (f"{cell}, the first code cell, ran as [{self.execution_count}], not [1]: "
                    "the kernel was not restarted before the cells were run")
        if self.problem == OUT_OF_ORDER:
            return (f"{cell} ran as [{self.execution_count}], before a cell above it that "
                    f"ran as [{self.previous_count}]")
        return f"{cell} ended with an error"

    def fix(self) -> str:
        """The one action that fixes it ("" when in order)."""
        if self.in_order:
            return ""
        if self.problem == ERROR_OUTPUT:
            return "fix what its error says, then " + RESTART_AND_RUN_ALL
        return RESTART_AND_RUN_ALL

    def message(self) -> str:
        """One sentence for the student: what is wrong and what to do."""
        if self.in_order:
            return "the notebook was run from top to bottom in one kernel session"
        return (f"the notebook was not run from top to bottom in one kernel session: "
                f"{self.describe()}. To fix it, {self.fix()}")


def _text(source: Any) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str))
    return ""


def first_line(source: Any, limit: int = FIRST_LINE_CHARS) -> str:
    """The first non-blank line of a cell's source, cut to ``limit`` characters."""
    line = next((line.strip() for line in _text(source).splitlines() if line.strip()), "")
    line = "".join(char if char.isprintable() else " " for char in line).strip()
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


def _cells(notebook: Any) -> list[Any]:
    cells = notebook.get("cells") if isinstance(notebook, Mapping) else None
    return list(cells) if isinstance(cells, list) else []


def _is_code(cell: Any) -> bool:
    return isinstance(cell, Mapping) and cell.get("cell_type") == "code"


def _count(cell: Mapping[str, Any]) -> int | None:
    value = cell.get("execution_count")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _has_error(cell: Mapping[str, Any]) -> bool:
    outputs = cell.get("outputs")
    return isinstance(outputs, list) and any(
        isinstance(output, Mapping) and output.get("output_type") == "error"
        for output in outputs)


def submit_cell_index(cells: Sequence[Any], kind: str | None) -> int | None:
    """The index of the code cell that builds the ``kind`` zip, or ``None``."""
    if kind is None:
        return None
    wanted = SUBMIT_CELL_ID.format(kind=kind)
    call = re.compile(_SUBMIT_CALL.format(kind=re.escape(kind)), re.MULTILINE)
    for index, cell in enumerate(cells):
        if _is_code(cell) and cell.get("id") == wanted:
            return index
    for index, cell in enumerate(cells):
        if _is_code(cell) and call.search(_text(cell.get("source"))):
            return index
    return None


def check_run_order(notebook: Any, kind: str | None = None) -> RunOrderFinding:
    """Whether the code cells above the ``kind`` submission cell ran top to bottom in
    one kernel session (see the module docstring); the first offending cell, if any.

    Args:
        notebook: the notebook as parsed JSON (nbformat 4); anything else counts as a
            notebook without cells.
        kind: ``"milestone"`` or ``"final"``: only the cells above that submission
            cell are checked. ``None`` (or no such cell): every code cell.
    """
    cells = _cells(notebook)
    end = submit_cell_index(cells, kind)
    scope = cells if end is None else cells[:end]
    submit_cell = None if end is None else end + 1
    highest: int | None = None
    checked = 0
    for index, cell in enumerate(scope):
        if not _is_code(cell) or not _text(cell.get("source")).strip():
            continue
        checked += 1
        count = _count(cell)
        problem = ""
        if count is None:
            problem = NOT_RUN
        elif highest is None and count != 1:
            problem = NOT_RESTARTED
        elif highest is not None and count <= highest:
            problem = OUT_OF_ORDER
        elif _has_error(cell):
            problem = ERROR_OUTPUT
        if problem:
            return RunOrderFinding(problem, index + 1, first_line(cell.get("source")), count,
                                   highest if problem == OUT_OF_ORDER else None, checked,
                                   submit_cell)
        highest = count
    return RunOrderFinding(checked_cells=checked, submit_cell=submit_cell)
