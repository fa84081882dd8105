"""Late days applied to a graded batch: the columns, the feedback line, the report
section and the ledger.

:func:`prepare_late_days` reads and checks every input first (submission times,
due time, extensions, roster, ledger), so a bad one stops the command before it
writes anything. :class:`LateDays` then works on the batch's gradebook rows,
after grading (``grade-batch`` and ``grade-batch-merge`` call it the same way):

- :meth:`LateDays.apply` adds to each row ``submitted_at`` and ``due_at`` (in the
  course's time zone), ``days_late``, ``free_days_used`` (``hours_late``,
  ``free_hours_used`` under ``unit: hour``), ``late_penalty`` (the cap or
  deduction in words) and ``score_after_late``; ``score`` stays the raw score.
  A row whose submission time is unknown gets ``late_penalty`` ``no submission
  time`` and no ``score_after_late``: it is flagged, never taken as on time.
- :meth:`LateDays.report_sections` gives the class report's "Late submissions".
- :meth:`LateDays.write` adds one ``Late policy:`` line to each submission's
  ``feedback.md`` (replacing an earlier one) and writes the ledger.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from autograder.course.extensions import Extension, check_extension, read_extensions
from autograder.course.late_policy import LatePolicy, assess, units_late
from autograder.course.ledger import Ledger, read_ledger, write_ledger
from autograder.course.times import SubmissionTime, parse_time, read_submission_times
from autograder.grader.html_page import figure_cell, table
from ner_helpers.errors import KitError, located

#: The start of the feedback line (an earlier one is replaced, never doubled).
FEEDBACK_PREFIX = "Late policy: "
FEEDBACK_FILE = "feedback.md"
NO_TIME = "no submission time"
ROSTER_COLUMN = "student"


def late_columns(policy: LatePolicy) -> list[str]:
    """The gradebook columns the late policy adds, in order."""
    return ["submitted_at", "due_at", f"{policy.units}_late", f"free_{policy.units}_used",
            "late_penalty", "score_after_late"]


@dataclass
class LateDays:
    """The late policy of one assignment, with its inputs read and checked."""

    policy: LatePolicy
    assignment: str
    times: list[SubmissionTime]
    due: datetime | None = None
    extensions: dict[str, Extension] = field(default_factory=dict)
    ledger: Ledger | None = None
    decimals: int = 2
    #: Feedback lines by submission, filled by :meth:`apply`.
    lines: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------------ rows
    def _record(self, row: Mapping[str, Any]) -> SubmissionTime | None:
        submission = str(row.get("submission", ""))
        for record in self.times:
            if record.submission and record.submission == submission:
                return record
        student = str(row.get("student_id", "") or "")
        matches = [record for record in self.times if student and record.student == student]
        return matches[0] if matches else None

    def due_for(self, student: str, record: SubmissionTime | None) -> datetime | None:
        if student in self.extensions:
            return self.extensions[student].due
        return record.due if record is not None and record.due is not None else self.due

    def apply(self, rows: Sequence[dict[str, Any]]) -> list[str]:
        """Add the late columns to ``rows`` (in place); return the column names."""
        names = late_columns(self.policy)
        zone = self.policy.zone
        spent_here: Counter[str] = Counter()
        for row in sorted(rows, key=lambda r: str(r.get("submission", ""))):
            record = self._record(row)
            student = record.student if record else str(row.get("student_id", "") or "")
            due = self.due_for(student, record)
            row["due_at"] = due.astimezone(zone).isoformat(timespec="seconds") if due else ""
            raw, most = _number(row.get("score")), _number(row.get("max_score"))
            if record is None or record.submitted is None or due is None:
                row.update({"submitted_at": "", names[2]: "", names[3]: "",
                            "late_penalty": NO_TIME, "score_after_late": ""})
                self.lines[str(row.get("submission", ""))] = (
                    f"{FEEDBACK_PREFIX}no submission time is on record for this submission; "
                    "its lateness is checked by hand before the grade is posted.")
                continue
            late = units_late(record.submitted, due, self.policy)
            used = self.ledger.used_before(student, self.assignment) if self.ledger else 0.0
            free_left = self.policy.free_late - used - spent_here[student]
            outcome = assess(raw, most, late, free_left, self.policy, self.decimals)
            spent_here[student] += outcome.free_used
            if self.ledger is not None and student:
                self.ledger.record(student, self.assignment, spent_here[student])
            row.update({
                "submitted_at": record.submitted.astimezone(zone).isoformat(timespec="seconds"),
                names[2]: late, names[3]: outcome.free_used, "late_penalty": outcome.applied,
                "score_after_late": "" if outcome.score is None else outcome.score})
            self.lines[str(row.get("submission", ""))] = self._line(
                outcome, raw, most, free_left - outcome.free_used, due,
                student in self.extensions)
        return names

    def _line(self, outcome: Any, raw: float | None, most: float | None, left: float,
              due: datetime, extended: bool) -> str:
        unit = self.policy.unit
        shown_due = due.astimezone(self.policy.zone).strftime("%Y-%m-%d %H:%M %Z")
        due_text = f"due {shown_due}{' (your extension)' if extended else ''}"
        pool = self.policy.free_late > 0
        left_text = f"{_count(max(0.0, left), 'free late ' + unit)} left"
        if outcome.units_late == 0:
            return f"{FEEDBACK_PREFIX}on time ({due_text}){'; ' + left_text if pool else ''}."
        parts = [f"{_count(outcome.units_late, unit)} late ({due_text})"]
        if outcome.past_cutoff:
            parts.append(outcome.applied)
        else:
            if pool:
                parts.append(f"{_count(outcome.free_used, 'free late ' + unit)} used, "
                             f"{left_text}")
            parts.append(outcome.applied or "no penalty")
        if raw is not None and most is not None and outcome.score is not None:
            parts.append(f"score {_points(raw)} -> {_points(outcome.score)} of {_points(most)}")
        return FEEDBACK_PREFIX + "; ".join(parts) + "."

    # ---------------------------------------------------------------------- report
    def report_sections(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
        """The class report's section: how many were on time, late, past the cut-off,
        without a time, and the free units spent."""
        names = late_columns(self.policy)
        late = [row for row in rows if isinstance(row.get(names[2]), int)]
        counts = [
            ("on-time", "On time", sum(1 for row in late if row[names[2]] == 0)),
            ("late", "Late", sum(1 for row in late if row[names[2]] > 0)),
            ("late-penalised", "Late with a cap or deduction",
             sum(1 for row in late if row.get("late_penalty"))),
            ("late-no-credit", "Past the cut-off",
             sum(1 for row in late if str(row.get("late_penalty", "")).startswith("no credit"))),
            ("late-no-time", "No submission time",
             sum(1 for row in rows if row.get("late_penalty") == NO_TIME)),
            ("late-free-used", f"Free late {self.policy.units} spent",
             sum(int(row[names[3]]) for row in late)),
        ]
        body = table([(label, True) for _, label, _ in counts],
                     [[figure_cell(key, str(value)) for key, _, value in counts]],
                     "summary")
        note = (f"<p>Assignment <code>{escape(self.assignment)}</code>, late policy of "
                f"grading.yaml (time zone {escape(self.policy.timezone)}).</p>")
        return [("Late submissions", note + "\n" + body)]

    # ---------------------------------------------------------------------- files
    def write(self, out_dir: Path) -> list[Path]:
        """Add the feedback lines and write the ledger; return the files written."""
        written = []
        for submission, line in sorted(self.lines.items()):
            path = out_dir / submission / FEEDBACK_FILE
            if not path.is_file():
                continue
            kept = [text for text in path.read_text(encoding="utf-8").split("\n")
                    if not text.startswith(FEEDBACK_PREFIX)]
            while kept and kept[-1] == "":
                kept.pop()
            path.write_text("\n".join([*kept, "", line, ""]), encoding="utf-8")
            written.append(path)
        if self.ledger is not None:
            written.append(write_ledger(self.ledger))
        return written


def _number(cell: Any) -> float | None:
    if cell in ("", None):
        return None
    try:
        return float(cell)
    except (TypeError, ValueError):
        return None


def _points(value: float) -> str:
    return f"{value:g}"


def _count(value: float, unit: str) -> str:
    return f"{value:g} {unit}{'' if value == 1 else 's'}"


def read_roster(path: Path) -> set[str]:
    """The students of a roster CSV (column ``student``)."""
    if not path.is_file():
        raise located(path, None, "no such roster file")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if ROSTER_COLUMN not in (reader.fieldnames or []):
            raise located(path, 1, f"a roster needs a {ROSTER_COLUMN} column")
        return {(row.get(ROSTER_COLUMN) or "").strip() for row in reader} - {""}


def prepare_late_days(policy: LatePolicy | None, *, times: Path, assignment: str,
                      due: str | None = None, extensions: Path | None = None,
                      ledger: Path | None = None, roster: Path | None = None,
                      nbgrader_assignment: str = "", decimals: int = 2,
                      settings_source: str = "grading.yaml") -> LateDays:
    """Read and check every input of the late policy (nothing is written)."""
    if policy is None:
        raise KitError(f"{settings_source}: no late: block; the late policy needs one "
                       "(docs/late-days.md)")
    zone = policy.zone
    records = read_submission_times(times, zone, nbgrader_assignment)
    default_due = parse_time(due, zone, "--due") if due else None
    if roster is not None:
        known, known_from = read_roster(roster), str(roster)
    else:
        known, known_from = {record.student for record in records}, f"the submission times {times}"
    for record in records:
        if record.due is None and default_due is None:
            raise located(record.where, None, f"no due time for {record.student!r}; give "
                                              "--due (the assignment's due time)")
    found = read_extensions(extensions, zone) if extensions else {}
    by_student = {record.student: record for record in records}
    for extension in found.values():
        if extension.student not in known:
            raise located(extensions, extension.line,  # type: ignore[arg-type]
                          f"unknown student {extension.student!r} (not in {known_from})")
        record = by_student.get(extension.student)
        base = record.due if record is not None and record.due is not None else default_due
        if base is None:
            raise located(extensions, extension.line,  # type: ignore[arg-type]
                          f"no due time to extend for {extension.student!r}; give --due")
        check_extension(extensions, extension, base)  # type: ignore[arg-type]
    book = read_ledger(ledger, policy, known, known_from) if ledger else None
    return LateDays(policy, assignment, records, default_due, found, book, decimals)
