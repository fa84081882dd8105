"""One CSV per course: the kit's gradebooks and nbgrader's hand-graded written answers.

The kit grades the TODOs (hidden tests) and the models (``ner-instructor
grade-batch`` writes ``gradebook.csv``); TAs grade the written answers in
nbgrader's formgrader (``gradebook.db`` of the course directory). The merged
CSV has one row per student:

- ``student``, ``name``;
- per kind of submission found in the kit's gradebooks (``milestone``,
  ``final``): ``<kind>_score``, ``<kind>_max_score``, ``<kind>_status`` and
  ``<kind>_<column>`` for each TODO and model column;
- per written answer (nbgrader's manually graded markdown cells, by grade id):
  its score, empty while it is not graded yet; the collaboration statement has
  no score column while it is worth 0 points everywhere;
- ``collaboration_statement``: ``answered``, ``empty`` or ``missing`` (never the
  text; TAs read it in formgrader), read from the submitted notebook as data
  (bounded JSON), else from nbgrader's record of whether the cell still holds
  the released stub;
- ``written_score``, ``written_max_score``, ``written_ungraded`` (answers still
  to grade; a statement worth 0 points is not counted), ``total`` and
  ``total_max_score`` (the kit's scores plus the written answers; a kind's
  ``score_after_late`` counts instead of its ``score`` when the late policy ran,
  and the total is left empty when the policy found no submission time), and
  ``notes``.

Students are matched by the folder name nbgrader-collect gives them: the kit
gradebook's ``student_id`` with characters other than letters, digits, ``.``,
``_`` and ``-`` replaced by ``_``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.grader.gradebook import safe_cell
from autograder.grader.settings import load_settings
from autograder.nbgrader.collect import student_folder_name
from autograder.previous_files import keep_previous_file
from ner_helpers.collaboration_statement import (
    ANSWERED,
    EMPTY,
    MISSING,
    STATEMENT_CELL_ID,
    statement_state,
)
from ner_helpers.errors import KitError
from ner_helpers.json_limits import JsonLimitError, read_json

KIT_FIXED = ("submission", "student_id", "name", "kind", "status", "score", "max_score")
#: Whether the collaboration statement was filled in (never its text).
STATEMENT_COLUMN = "collaboration_statement"
NOTEBOOK_CELL_TYPE = "markdown"


@dataclass
class WrittenScores:
    """One student's hand-graded answers: grade id -> (score or None, max score)."""

    answers: dict[str, tuple[float | None, float]] = field(default_factory=dict)
    #: The collaboration statement: answered, empty or missing.
    statement: str = MISSING


def read_kit_gradebook(path: Path) -> list[dict[str, str]]:
    """The rows of a kit gradebook CSV (``grade-batch`` output)."""
    if not path.is_file():
        raise KitError(f"{path}: no such gradebook (ner-instructor grade-batch writes one)")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in ("student_id", "kind", "score", "max_score")
                   if name not in (reader.fieldnames or [])]
        if missing:
            raise KitError(f"{path}: not a kit gradebook (no {', '.join(missing)} column)")
        return [dict(row) for row in reader]


def read_written_scores(course_dir: Path, course_id: str,
                        assignment: str) -> dict[str, WrittenScores]:
    """Hand-graded written answers per student from nbgrader's ``gradebook.db``."""
    from nbgrader.api import Gradebook, MissingEntry

    database = course_dir / "gradebook.db"
    if not database.is_file():
        raise KitError(f"{database}: no nbgrader gradebook (run nbgrader autograde in "
                       f"{course_dir} first)")
    found: dict[str, WrittenScores] = {}
    with Gradebook(f"sqlite:///{database}", course_id) as gradebook:
        for student in gradebook.students:
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                continue
            scores = WrittenScores()
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell_type != NOTEBOOK_CELL_TYPE:
                        continue
                    score = None if grade.needs_manual_grade else float(grade.score)
                    scores.answers[grade.name] = (score, float(grade.max_score))
                    if grade.name == STATEMENT_CELL_ID:
                        # nbgrader scores an answer still holding the released stub
                        # automatically (auto_score 0); a changed one waits for a TA
                        scores.statement = EMPTY if grade.auto_score is not None else ANSWERED
                submitted = (course_dir / "submitted" / student.id / assignment /
                             f"{notebook.name}.ipynb")
                scores.statement = submitted_statement(submitted, scores.statement)
            found[student.id] = scores
    return found


def submitted_statement(path: Path, fallback: str) -> str:
    """The statement state of a submitted notebook, read as bounded JSON (a notebook a
    student handed in: data only); ``fallback`` when it cannot be read or lacks the
    statement."""
    limits = load_settings().inputs
    try:
        notebook = read_json(path, limits.json(limits.notebook_bytes))
    except JsonLimitError:
        return fallback
    state = statement_state(notebook)
    return fallback if state == MISSING else state


def _number(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else 0.0
    except ValueError:
        return 0.0


def _late_score(entry: dict[str, Any], kind: str) -> float | None:
    """The kind's score for the total: after the late policy when it ran
    (``score_after_late``), ``None`` when it flagged the submission (no time)."""
    if f"{kind}_late_penalty" in entry and entry.get(f"{kind}_score_after_late") == "" \
            and entry.get(f"{kind}_score") not in ("", None):
        return None
    if entry.get(f"{kind}_score_after_late") not in ("", None):
        return _number(entry.get(f"{kind}_score_after_late"))
    return _number(entry.get(f"{kind}_score"))


def lms_scores(rows: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """Each merged student's total for an LMS (``None``: held back, see ``notes``)."""
    return {row["student"]: (None if row.get("total") in ("", None) else float(row["total"]))
            for row in rows}


def merge_gradebooks(kit_rows: Sequence[dict[str, str]],
                     written: dict[str, WrittenScores]) -> tuple[list[str], list[dict[str, Any]]]:
    """The merged CSV's columns and rows (see the module docstring)."""
    per_student: dict[str, dict[str, Any]] = {}
    notes: dict[str, list[str]] = {}
    kind_columns: dict[str, list[str]] = {}
    for row in sorted(kit_rows, key=lambda r: str(r.get("submission", ""))):
        student = student_folder_name(row.get("student_id") or "")
        kind = row.get("kind") or ""
        if not student or kind not in ("milestone", "final"):
            continue
        extra = [name for name in row if name not in KIT_FIXED]
        columns = kind_columns.setdefault(kind, ["score", "max_score", "status"])
        columns += [name for name in extra if name not in columns]
        entry = per_student.setdefault(student, {"student": student, "name": ""})
        if f"{kind}_score" in entry:
            notes.setdefault(student, []).append(
                f"several {kind} rows in the kit gradebook; {row.get('submission')} is used")
        entry["name"] = entry["name"] or row.get("name", "")
        for name in columns:
            entry[f"{kind}_{name}"] = row.get(name, "")
    answer_ids = sorted({grade_id for scores in written.values() for grade_id in scores.answers})
    if not any(scores.answers.get(STATEMENT_CELL_ID, (None, 0.0))[1]
               for scores in written.values()):
        answer_ids = [grade_id for grade_id in answer_ids if grade_id != STATEMENT_CELL_ID]
    for student, scores in written.items():
        entry = per_student.setdefault(student, {"student": student, "name": ""})
        for grade_id in answer_ids:
            score, _ = scores.answers.get(grade_id, (None, 0.0))
            entry[grade_id] = "" if score is None else score
        entry["written_score"] = sum(s for s, _ in scores.answers.values() if s is not None)
        entry["written_max_score"] = sum(m for _, m in scores.answers.values())
        entry["written_ungraded"] = sum(
            1 for grade_id, (s, m) in scores.answers.items()
            if s is None and (m or grade_id != STATEMENT_CELL_ID))
        entry[STATEMENT_COLUMN] = scores.statement
    kinds = [kind for kind in ("milestone", "final") if kind in kind_columns]
    for student, entry in per_student.items():
        if student not in written:
            notes.setdefault(student, []).append("no nbgrader submission")
        for kind in kinds:
            if f"{kind}_score" not in entry:
                notes.setdefault(student, []).append(f"no {kind} row in the kit gradebook")
        held = [kind for kind in kinds if _late_score(entry, kind) is None]
        for kind in held:
            notes.setdefault(student, []).append(
                f"no submission time for the {kind} (late policy): total held back")
        entry["total"] = "" if held else \
            sum(_late_score(entry, kind) or 0.0 for kind in kinds) + \
            float(entry.get("written_score") or 0.0)
        entry["total_max_score"] = sum(_number(entry.get(f"{kind}_max_score"))
                                       for kind in kinds) + \
            float(entry.get("written_max_score") or 0.0)
        entry["notes"] = "; ".join(notes.get(student, []))
    header = ["student", "name"]
    header += [f"{kind}_{name}" for kind in kinds for name in kind_columns[kind]]
    header += answer_ids
    header += [STATEMENT_COLUMN] if written else []
    header += ["written_score", "written_max_score", "written_ungraded", "total",
               "total_max_score", "notes"]
    return header, [per_student[student] for student in sorted(per_student)]


def write_merged(path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    """Write the merged CSV; an earlier file at ``path`` becomes ``NAME.prev-N.csv``."""
    keep_previous_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n",
                                extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({name: safe_cell(_format(row.get(name, ""))) for name in header})
    return path


def _format(value: Any) -> Any:
    return f"{value:g}" if isinstance(value, float) else value
