"""Per-student extensions: a CSV with columns ``student`` and ``due`` (the student's own
due time, read as :func:`autograder.course.times.parse_time` reads times).

An extension moves the student's due time; the late policy then counts from it
(and the cut-off with it). An extension earlier than the assignment's due time
is an error, not a quiet shortening.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from autograder.course.student_rows import student_rows
from autograder.course.times import parse_time
from ner_helpers.errors import located

COLUMNS = ("student", "due")


@dataclass(frozen=True)
class Extension:
    student: str
    due: datetime
    line: int


def read_extensions(path: Path, zone: ZoneInfo) -> dict[str, Extension]:
    """The extensions of ``path`` by student."""
    if not path.is_file():
        raise located(path, None, "no such extensions file")
    found: dict[str, Extension] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise located(path, 1, f"no {', '.join(missing)} column (expected columns "
                                   f"{', '.join(COLUMNS)})")
        for line, student, row in student_rows(reader, path):
            text = (row.get("due") or "").strip()
            if not text:
                raise located(path, line, f"no due time for {student!r}")
            found[student] = Extension(student, parse_time(text, zone, f"{path}:{line}"), line)
    return found


def check_extension(path: Path, extension: Extension, due: datetime) -> None:
    """An extension must not end before the due time it extends."""
    if extension.due < due:
        raise located(path, extension.line,
                      f"the extension of {extension.student!r} ({extension.due.isoformat()}) "
                      f"ends before the due time ({due.isoformat()})")
