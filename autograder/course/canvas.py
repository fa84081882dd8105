"""The grades file Canvas's gradebook imports: the instructor's own export with this
assignment's column filled.

Canvas exports its gradebook (Grades > Export > CSV) with the columns
``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID`` (some exports add
``Integration ID``), ``Section``, then one column per assignment named
``Title (assignment id)``, then read-only totals (``Current Score``, ...).
Under the header come rows without a Canvas ``ID`` (``Points Possible``, and in
some courses ``Manual Posting``), then one row per student. Canvas's import
(Grades > Import) matches students by ``ID``, ``SIS User ID`` or ``SIS Login
ID``, changes only cells that differ, and ignores the read-only columns.

:func:`fill_canvas` keeps every row and cell of the export as it was and
writes the kit's scores into the one assignment column, matching the kit's
student ID against the column ``match`` names. Students in the export that the
kit did not grade keep their cell; students the kit graded that are not in the
export, and scores held back (no submission time), are listed, never dropped.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from autograder.nbgrader.collect import student_folder_name
from autograder.previous_files import keep_previous_file
from ner_helpers.errors import located

REQUIRED = ("Student", "ID", "Section")
MATCH_COLUMNS = {"sis_login": "SIS Login ID", "sis_user_id": "SIS User ID", "id": "ID"}
POINTS_ROW = "Points Possible"


@dataclass
class LmsExport:
    """A filled grades file and who did not match (student IDs as the kit names them)."""

    header: list[str]
    rows: list[list[str]]
    filled: int = 0
    only_in_lms: list[str] = field(default_factory=list)
    only_in_kit: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    points_possible: str = ""


def find_column(path: Path, header: list[str], wanted: str) -> int:
    """The index of the assignment column: its full name ``Title (id)``, its id or its
    title."""
    exact = [i for i, name in enumerate(header) if name.strip() == wanted.strip()]
    candidates = exact or [i for i, name in enumerate(header)
                           if name.strip().endswith(f"({wanted.strip()})")
                           or name.strip().startswith(f"{wanted.strip()} (")]
    if not candidates:
        raise located(path, 1, f"no assignment column {wanted!r} in this Canvas export (is it "
                               "this course's gradebook?); its columns: "
                               + ", ".join(repr(name) for name in header))
    if len(candidates) > 1:
        raise located(path, 1, f"several columns match {wanted!r}: "
                               + ", ".join(repr(header[i]) for i in candidates))
    return candidates[0]


def fill_canvas(path: Path, column: str, scores: dict[str, float | None],
                match: str = "sis_login") -> LmsExport:
    """The Canvas export at ``path`` with ``column`` filled from ``scores`` (kit student ->
    score, ``None`` for a score held back)."""
    if not path.is_file():
        raise located(path, None, "no such Canvas gradebook export")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    if not table:
        raise located(path, 1, "empty file, not a Canvas gradebook export")
    header = table[0]
    key_column = MATCH_COLUMNS[match]
    missing = [name for name in (*REQUIRED, key_column) if name not in header]
    if missing:
        raise located(path, 1, f"not a Canvas gradebook export (no {', '.join(missing)} "
                               "column)")
    target = find_column(path, header, column)
    id_index, key_index = header.index("ID"), header.index(key_column)
    export = LmsExport(header, [])
    seen: dict[str, int] = {}
    for line, cells in enumerate(table[1:], start=2):
        cells = cells + [""] * (len(header) - len(cells))
        export.rows.append(cells)
        if not cells[id_index].strip():  # Points Possible, Manual Posting
            if cells[0].strip() == POINTS_ROW:
                export.points_possible = cells[target].strip()
            continue
        key = student_folder_name(cells[key_index].strip())
        if not key:  # e.g. Canvas's "Student, Test": kept as it is, and listed
            export.only_in_lms.append(f"{cells[0].strip()} (no {key_column})")
            continue
        if key in seen:
            raise located(path, line, f"{key_column} {cells[key_index]!r} is listed twice "
                                      f"(also on line {seen[key]})")
        seen[key] = line
        if key not in scores:
            export.only_in_lms.append(cells[key_index].strip())
            continue
        score = scores[key]
        if score is None:
            export.held.append(key)
            continue
        cells[target] = format_score(score)
        export.filled += 1
    export.only_in_kit = sorted(set(scores) - set(seen))
    if scores and not set(scores) & set(seen):
        raise located(path, 1, f"no student of the kit's gradebook is in this Canvas export "
                               f"(matched on {key_column}): an export of another course?")
    return export


def format_score(score: float) -> str:
    return f"{round(score, 4):g}"


def write_lms_csv(path: Path, export: LmsExport) -> Path:
    """Write ``export``; an earlier file at ``path`` is kept as ``NAME.prev-N.csv``."""
    keep_previous_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(export.header)
        writer.writerows(export.rows)
    return path
