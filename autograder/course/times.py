"""Reading times, and the submission times of a class from where they are kept.

A time is ISO 8601 (``2026-10-02T23:59:00``, ``T`` or a space, seconds and
fractions optional) with an offset (``+02:00``, ``-0700``, ``Z``), a zone
(``UTC``, ``GMT`` or an IANA name such as ``Europe/Berlin``) or neither; one
with neither is read in the course's time zone (``late.timezone``). A wall
clock time that occurs twice (the hour repeated when daylight-saving time
ends) is read as the first one; give an offset to mean the second.

Submission times come from one of (:func:`read_submission_times`):

``*.csv``
    columns ``student`` and ``submitted_at`` (an empty time is flagged, not
    taken as on time);
``submission_metadata.json`` / ``.yml``
    Gradescope's: either the file of one submission that an autograder sees
    (``created_at``, ``assignment.due_date``, ``users`` with each user's
    ``sid`` or ``email`` and, when the student has an extension, the user's
    own ``assignment.due_date``), a list of those, or the export of all
    submissions (keys ``submission_ID`` holding ``:created_at`` and
    ``:submitters`` with ``:sid``, ``:email``, ``:name``); a folder holding
    such a file, or sub-folders each holding one, works too;
an nbgrader course folder
    ``submitted/<student>/<assignment>/timestamp.txt`` as ``nbgrader collect``
    writes it (a student folder without one is flagged).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from autograder.course.student_rows import student_rows
from ner_helpers.errors import KitError, located

TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<clock>\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<fraction>\d+))?"
    r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[A-Za-z_]+/[A-Za-z0-9_/+-]+)?$")
METADATA_NAMES = ("submission_metadata.json", "submission_metadata.yml",
                  "submission_metadata.yaml")
NBGRADER_TIMESTAMP = "timestamp.txt"
CSV_COLUMNS = ("student", "submitted_at")


@dataclass(frozen=True)
class SubmissionTime:
    """When one student handed in, as the source says.

    Attributes:
        student: the student's ID (Gradescope's ``sid``, else the e-mail).
        submitted: the submission time, ``None`` when the source has none.
        due: this student's due time when the source gives one (an extension
            included), else ``None``.
        where: ``FILE:LINE`` (or ``FILE``) of the record, for messages.
        submission: the source's name of the submission (Gradescope's
            ``submission_ID`` folder), empty when it has none.
    """

    student: str
    submitted: datetime | None
    due: datetime | None
    where: str
    submission: str = ""


def parse_time(text: str, zone: ZoneInfo, where: str) -> datetime:
    """``text`` as an aware time (see the module docstring); a bad one raises
    ``error: WHERE: ...``."""
    match = TIME.match(text.strip())
    if match is None:
        raise KitError(f"{where}: cannot read the time {text!r} (expected e.g. "
                       "2026-10-02T23:59:00+02:00, or without an offset in the course's "
                       "time zone)")
    clock = match.group("clock") + ("" if match.group("clock").count(":") == 2 else ":00")
    fraction = (match.group("fraction") or "")[:6].ljust(6, "0")
    try:
        naive = datetime.fromisoformat(f"{match.group('date')}T{clock}.{fraction}")
    except ValueError as exc:
        raise KitError(f"{where}: cannot read the time {text!r}: {exc}") from exc
    marker = match.group("zone")
    if marker is None:
        return naive.replace(tzinfo=zone)
    if marker in ("Z", "UTC", "GMT"):
        return naive.replace(tzinfo=ZoneInfo("UTC"))
    if marker[0] in "+-":
        return datetime.fromisoformat(naive.isoformat() + marker[:3] + ":" + marker[-2:])
    try:
        return naive.replace(tzinfo=ZoneInfo(marker))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise KitError(f"{where}: unknown time zone {marker!r} in {text!r}") from exc


def line_of(text: str, needle: str) -> int | None:
    """The 1-based line of ``text`` where ``needle`` first occurs (for messages)."""
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


# ------------------------------------------------------------------------------- readers
def read_submission_times(path: Path, zone: ZoneInfo, assignment: str = "") -> list[SubmissionTime]:
    """The submission times at ``path`` (a CSV, Gradescope metadata or an nbgrader course
    folder; see the module docstring). ``assignment`` picks nbgrader's assignment folder."""
    if path.is_dir():
        if (path / "submitted").is_dir() or path.name == "submitted":
            return read_nbgrader_times(path, zone, assignment)
        files = [path / name for name in METADATA_NAMES if (path / name).is_file()]
        if not files:
            files = sorted(child / name for child in path.iterdir() if child.is_dir()
                           for name in METADATA_NAMES if (child / name).is_file())
        if not files:
            raise KitError(f"{path}: no submission_metadata file and no nbgrader submitted/ "
                           "folder in it")
        return [time for file in files for time in read_gradescope_metadata(file, zone)]
    if not path.is_file():
        raise KitError(f"{path}: no such file of submission times")
    if path.suffix.lower() == ".csv":
        return read_times_csv(path, zone)
    return read_gradescope_metadata(path, zone)


def read_times_csv(path: Path, zone: ZoneInfo) -> list[SubmissionTime]:
    """A CSV with columns ``student`` and ``submitted_at`` (one row per student)."""
    found: list[SubmissionTime] = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in CSV_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise located(path, 1, f"no {', '.join(missing)} column (expected columns "
                                   f"{', '.join(CSV_COLUMNS)})")
        for line, student, row in student_rows(reader, path):
            text = (row.get("submitted_at") or "").strip()
            submitted = parse_time(text, zone, f"{path}:{line}") if text else None
            found.append(SubmissionTime(student, submitted, None, f"{path}:{line}"))
    return found


def read_gradescope_metadata(path: Path, zone: ZoneInfo) -> list[SubmissionTime]:
    """Gradescope's ``submission_metadata`` (JSON or YAML; the forms of the module
    docstring)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = getattr(exc, "lineno", None) or getattr(getattr(exc, "problem_mark", None),
                                                       "line", -1) + 1 or None
        raise located(path, line, f"not readable Gradescope metadata: {exc}") from exc
    records: Iterable[tuple[str, dict[str, Any]]]
    if isinstance(data, list):
        records = [("", item) for item in data]
    elif isinstance(data, dict) and ("created_at" in data or "users" in data):
        records = [("", data)]
    elif isinstance(data, dict):
        records = list(data.items())
    else:
        raise located(path, 1, "not Gradescope submission metadata (expected an object)")
    found: list[SubmissionTime] = []
    for key, record in records:
        if not isinstance(record, dict):
            raise located(path, line_of(text, str(key)) if key else 1,
                          f"{key or 'entry'}: not a submission record")
        found += _metadata_record(path, text, str(key), _plain_keys(record), zone)
    return found


def _plain_keys(value: Any) -> Any:
    """The export's Ruby-symbol keys (``:created_at``) as plain ones (``created_at``)."""
    if isinstance(value, dict):
        return {str(key).lstrip(":"): _plain_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_keys(item) for item in value]
    return value


def _metadata_record(path: Path, text: str, key: str, record: dict[str, Any],
                     zone: ZoneInfo) -> list[SubmissionTime]:
    def when(value: Any, label: str) -> datetime | None:
        if value in (None, ""):
            return None
        shown = value.isoformat() if isinstance(value, datetime) else str(value)
        where = f"{path}:{line_of(text, str(value)) or line_of(text, shown) or 1}"
        if isinstance(value, datetime):  # YAML reads an unquoted time itself
            return value if value.tzinfo else value.replace(tzinfo=zone)
        return parse_time(shown, zone, f"{where}: {label}")

    users = record.get("users", record.get("submitters"))
    if not isinstance(users, list) or not users:
        raise located(path, line_of(text, key) if key else 1,
                      f"{key or 'submission'}: no users (submitters) listed")
    submitted = when(record.get("created_at"), "created_at")
    assignment = record.get("assignment") if isinstance(record.get("assignment"), dict) else {}
    due = when(assignment.get("due_date"), "assignment.due_date")
    found = []
    for user in users:
        if not isinstance(user, dict):
            raise located(path, line_of(text, key) if key else 1, "a user is not an object")
        student = str(user.get("sid") or user.get("email") or "").strip()
        if not student:
            raise located(path, line_of(text, str(user.get("name", ""))) or 1,
                          f"{key or 'submission'}: a user without sid or email")
        own = user.get("assignment") if isinstance(user.get("assignment"), dict) else {}
        own_due = when(own.get("due_date"), "users.assignment.due_date")
        where = f"{path}:{line_of(text, student) or 1}"
        found.append(SubmissionTime(student, submitted, own_due or due, where, key))
    return found


def read_nbgrader_times(course: Path, zone: ZoneInfo, assignment: str) -> list[SubmissionTime]:
    """nbgrader's ``submitted/<student>/<assignment>/timestamp.txt`` of every student."""
    submitted = course if course.name == "submitted" else course / "submitted"
    found = []
    for student in sorted(p for p in submitted.iterdir() if p.is_dir()):
        folders = ([student / assignment] if assignment else
                   sorted(p for p in student.iterdir() if p.is_dir()))
        folders = [folder for folder in folders if folder.is_dir()]
        if not folders:
            continue
        if len(folders) > 1:
            raise KitError(f"{student}: several assignments; name the one to read")
        stamp = folders[0] / NBGRADER_TIMESTAMP
        text = stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else ""
        when = parse_time(text.splitlines()[0], zone, f"{stamp}:1") if text else None
        found.append(SubmissionTime(student.name, when, None, str(stamp)))
    return found
