"""Reading the per-student CSV files of the course's week (extensions, submission times,
the late-day ledger): one row per student, each row's line kept for error messages."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ner_helpers.errors import located

#: The column that names the student in every such file.
STUDENT_COLUMN = "student"


def student_rows(reader: csv.DictReader, path: Path) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """``(line, student, row)`` for every row of ``reader`` (reading ``path``); an empty or
    repeated student is an error naming the file and the line."""
    lines: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        student = (row.get(STUDENT_COLUMN) or "").strip()
        if not student:
            raise located(path, line, "empty student")
        if student in lines:
            raise located(path, line, f"student {student!r} is listed twice (also on line "
                                      f"{lines[student]})")
        lines[student] = line
        yield line, student, row
