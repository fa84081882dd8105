"""The late-day ledger: the free late units each student has used, across assignments.

A CSV with one row per student: ``student``, ``late_days_used`` (``late_hours_used``
under ``unit: hour``), then one column per assignment holding the units spent on
it. Grading an assignment gives back what an earlier run spent on that same
assignment first, so running it again spends nothing twice. A student missing
from the ledger has used none. Negative counts, and fractional ones unless
``late.fractional_ledger`` allows them, are errors. The ledger is rewritten in
place; the earlier file is kept as ``NAME.prev-N.csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.late_policy import LatePolicy
from autograder.course.student_rows import student_rows
from autograder.grader.safe_text import csv_cell
from autograder.previous_files import keep_previous_file
from ner_helpers.errors import located

STUDENT = "student"


def used_column(policy: LatePolicy) -> str:
    return f"late_{policy.units}_used"


@dataclass
class Ledger:
    """The ledger's rows: student -> column -> count (the total under :func:`used_column`)."""

    path: Path
    used_name: str
    assignments: list[str] = field(default_factory=list)
    rows: dict[str, dict[str, float]] = field(default_factory=dict)

    def used_before(self, student: str, assignment: str) -> float:
        """Units the student used on every assignment but ``assignment``."""
        row = self.rows.get(student, {})
        return row.get(self.used_name, 0.0) - row.get(assignment, 0.0)

    def record(self, student: str, assignment: str, spent: float) -> None:
        before = self.used_before(student, assignment)
        row = self.rows.setdefault(student, {})
        row[assignment] = spent
        row[self.used_name] = before + spent
        if assignment not in self.assignments:
            self.assignments.append(assignment)


def read_ledger(path: Path, policy: LatePolicy, known: Collection[str] | None,
                known_from: str) -> Ledger:
    """Read and check the ledger; ``known`` are the students it may name (``None``: any)."""
    if not path.is_file():
        raise located(path, None, f"no such ledger; start one with the line "
                                  f"'{STUDENT},{used_column(policy)}'")
    used_name = used_column(policy)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        names = list(reader.fieldnames or [])
        if STUDENT not in names or used_name not in names:
            raise located(path, 1, f"a ledger needs the columns {STUDENT} and {used_name} "
                                   f"(unit: {policy.unit}); found {', '.join(names) or 'none'}")
        ledger = Ledger(path, used_name, [n for n in names if n not in (STUDENT, used_name)])
        for line, student, row in student_rows(reader, path):
            if known is not None and student not in known:
                raise located(path, line, f"unknown student {student!r} (not in {known_from})")
            counts: dict[str, float] = {}
            for name in [used_name, *ledger.assignments]:
                text = (row.get(name) or "").strip()
                if not text and name != used_name:
                    continue
                counts[name] = _count(path, line, name, text, policy)
            ledger.rows[student] = counts
    return ledger


def _count(path: Path, line: int, column: str, text: str, policy: LatePolicy) -> float:
    try:
        value = float(text)
    except ValueError:
        raise located(path, line, f"{column}: not a number: {text!r}") from None
    if value != value or value < 0:
        raise located(path, line, f"{column}: negative late {policy.units} ({text})")
    if value != int(value) and not policy.fractional_ledger:
        raise located(path, line, f"{column}: fractional late {policy.units} ({text}); the "
                                  "policy counts whole units (late.fractional_ledger: false)")
    return value


def _shown(value: float) -> str:
    return f"{value:g}"


def write_ledger(ledger: Ledger) -> Path:
    """Write the ledger back to its file, keeping the earlier one as ``NAME.prev-N.csv``."""
    header = [STUDENT, ledger.used_name, *ledger.assignments]
    keep_previous_file(ledger.path)
    temporary = ledger.path.with_name(ledger.path.name + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for student in sorted(ledger.rows):
            row = ledger.rows[student]
            writer.writerow([csv_cell(student), _shown(row.get(ledger.used_name, 0.0)),
                             *(_shown(row[name]) if name in row else ""
                               for name in ledger.assignments)])
    temporary.replace(ledger.path)
    return ledger.path
