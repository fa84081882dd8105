"""The grades file Moodle's grade import reads (Grades > Import > CSV file).

Moodle's CSV import takes a header row and one row per student; on its
mapping page the instructor maps one column to the user (``Map from`` the
identifier column, ``Map to`` "ID number", "Username", "Email address" or
"User ID") and each other column to a grade item. The file written here has
two columns: the identifier (``ID number`` by default, holding the kit's
student ID) and the grade item's name, one row per student the kit graded.
A score held back (no submission time) is left out and listed.

With Moodle's own export (Grades > Export > Plain text file) given as a
roster, students in one list and not the other are listed, never dropped.
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.course.canvas import LmsExport, format_score
from autograder.grader.safe_text import csv_cell
from autograder.nbgrader.collect import student_folder_name
from ner_helpers.errors import located


def moodle_grades(scores: dict[str, float | None], item: str, id_column: str = "ID number",
                  roster: Path | None = None) -> LmsExport:
    """The Moodle import file of ``scores`` (kit student -> score, ``None``: held back)."""
    export = LmsExport([id_column, item], [])
    for student in sorted(scores):
        score = scores[student]
        if score is None:
            export.held.append(student)
            continue
        export.rows.append([csv_cell(student), format_score(score)])
        export.filled += 1
    if roster is not None:
        known = read_moodle_roster(roster, id_column)
        if scores and not set(scores) & known:
            raise located(roster, 1, f"no student of the kit's gradebook is in this Moodle "
                                     f"export ({id_column}): an export of another course?")
        export.only_in_lms = sorted(known - set(scores))
        export.only_in_kit = sorted(set(scores) - known)
    return export


def read_moodle_roster(path: Path, id_column: str) -> set[str]:
    """The students (kit form of ``id_column``) of a Moodle grade export CSV."""
    if not path.is_file():
        raise located(path, None, "no such Moodle export")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if id_column not in (reader.fieldnames or []):
            raise located(path, 1, f"not a Moodle grade export with a {id_column!r} column")
        found: set[str] = set()
        for row in reader:
            key = student_folder_name((row.get(id_column) or "").strip())
            if not key:
                raise located(path, reader.line_num, f"a student without {id_column}")
            found.add(key)
    return found
