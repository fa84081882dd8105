"""``ner-instructor gradebook-merge``: the kit's gradebooks plus nbgrader's written answers."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.cli.release_options import add_release_config_option, release_settings
from autograder.course.canvas import MATCH_COLUMNS, LmsExport, fill_canvas, write_lms_csv
from autograder.course.moodle import moodle_grades
from autograder.nbgrader.gradebook_merge import (
    lms_scores,
    merge_gradebooks,
    read_kit_gradebook,
    read_written_scores,
    write_merged,
)
from ner_helpers.config import resolve_path
from ner_helpers.errors import KitError

NAME = "gradebook-merge"
HELP = ("Merge the kit's gradebook CSVs (grade-batch) with the written answers graded by "
        "hand in nbgrader into one CSV, one row per student.")

EPILOG = """\
Columns: student, name; per kind found in the kit gradebooks (milestone,
final) its score, max_score, status and TODO/model columns, prefixed with the
kind; one column per written answer (nbgrader grade id; empty while not yet
graded); written_score, written_max_score, written_ungraded; total and
total_max_score (kit scores plus written answers); notes. Students are matched
by student ID (as nbgrader-collect names their folders). An earlier output
file is kept as NAME.prev-N.csv.

LMS export (docs/lms-export.md): --canvas takes the gradebook CSV exported from
Canvas (Grades > Export) and writes it back with the --canvas-column
assignment column filled with each student's total (matched on --canvas-match,
SIS Login ID by default), ready for Grades > Import; --moodle-out writes
Moodle's grade import CSV (ID number, --moodle-item). Students in one list and
not the other, and totals held back by the late policy (no submission time),
are printed, never dropped.

examples:
  ner-instructor gradebook-merge --kit artefacts/grading/final/gradebook.csv
  ner-instructor gradebook-merge --kit grading/milestone/gradebook.csv \\
      --kit grading/final/gradebook.csv --out grades.csv
  ner-instructor gradebook-merge --kit grading/final/gradebook.csv --without-nbgrader \\
      --canvas canvas-export.csv --canvas-column "NER homework (4242)" \\
      --moodle-out moodle.csv --moodle-item "NER homework"
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("--kit", type=Path, action="append", required=True, metavar="CSV",
                        help="a gradebook.csv of ner-instructor grade-batch (repeat for the "
                             "milestone and the final)")
    parser.add_argument("--course-dir", type=Path, default=None,
                        help="nbgrader course directory with gradebook.db (default: "
                             "nbgrader.course_dir of release.yaml)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the merged CSV (default: nbgrader.merged_gradebook of "
                             "release.yaml)")
    parser.add_argument("--without-nbgrader", action="store_true",
                        help="no written answers: merge the kit gradebooks only")
    lms = parser.add_argument_group("LMS export")
    lms.add_argument("--canvas", type=Path, metavar="CSV",
                     help="the gradebook CSV exported from Canvas (Grades > Export)")
    lms.add_argument("--canvas-column", metavar="NAME",
                     help="the assignment's column: 'Title (id)', the id or the title")
    lms.add_argument("--canvas-match", choices=sorted(MATCH_COLUMNS), default="sis_login",
                     help="the Canvas column holding the kit's student IDs (default: "
                          "%(default)s)")
    lms.add_argument("--canvas-out", type=Path, metavar="CSV",
                     help="the filled export to import (default: OUT's name + .canvas.csv)")
    lms.add_argument("--moodle-out", type=Path, metavar="CSV",
                     help="write Moodle's grade import CSV here")
    lms.add_argument("--moodle-item", metavar="NAME",
                     help="the grade item's column name in the Moodle file")
    lms.add_argument("--moodle-id-column", default="ID number", metavar="NAME",
                     help="the identifier column of the Moodle file (default: %(default)s)")
    lms.add_argument("--moodle-roster", type=Path, metavar="CSV",
                     help="Moodle's grade export, to list students in one list only")
    add_release_config_option(parser)


def run(args: argparse.Namespace) -> int:
    settings = release_settings(args)
    if args.canvas and not args.canvas_column:
        raise KitError("--canvas needs --canvas-column (the assignment's column in the export)")
    if args.moodle_out and not args.moodle_item:
        raise KitError("--moodle-out needs --moodle-item (the grade item's name)")
    kit_rows = [row for path in args.kit for row in read_kit_gradebook(resolve_path(path))]
    written = {} if args.without_nbgrader else read_written_scores(
        resolve_path(args.course_dir or settings.nbgrader.course_dir),
        settings.nbgrader.course_id, settings.nbgrader.assignment_id)
    header, rows = merge_gradebooks(kit_rows, written)
    if args.without_nbgrader:
        for row in rows:  # no nbgrader: that is not a note worth a row
            row["notes"] = "; ".join(note for note in str(row["notes"]).split("; ")
                                     if note and note != "no nbgrader submission")
    out_path = resolve_path(args.out or settings.merged_gradebook)
    scores = lms_scores(rows)
    exports: list[tuple[str, Path, LmsExport]] = []
    if args.canvas:  # every input read and checked before anything is written
        canvas_out = resolve_path(args.canvas_out or out_path.with_suffix(".canvas.csv"))
        exports.append(("Canvas", canvas_out, fill_canvas(resolve_path(args.canvas),
                                                          args.canvas_column, scores,
                                                          args.canvas_match)))
    if args.moodle_out:
        roster = resolve_path(args.moodle_roster) if args.moodle_roster else None
        exports.append(("Moodle", resolve_path(args.moodle_out),
                        moodle_grades(scores, args.moodle_item, args.moodle_id_column, roster)))
    out = write_merged(out_path, header, rows)
    ungraded = sum(1 for row in rows if row.get("written_ungraded"))
    print(f"{len(rows)} students; merged gradebook: {out}")
    if ungraded:
        print(f"{ungraded} students have written answers still to grade in formgrader")
    most = max((float(row["total_max_score"]) for row in rows), default=0.0)
    for system, path, export in exports:
        write_lms_csv(path, export)
        print(f"{system}: {export.filled} grades written to {path}")
        if export.points_possible and _points(export.points_possible) not in (None, most):
            print(f"  note: Canvas's Points Possible is {export.points_possible}, the kit's "
                  f"maximum {most:g}; the file holds points, not percentages")
        for student in export.held:
            print(f"  held back (no submission time; see notes): {student}")
        for student in export.only_in_kit:
            print(f"  graded by the kit, not in the {system} list: {student}")
        for student in export.only_in_lms:
            print(f"  in the {system} list, not graded by the kit: {student}")
    return 0


def _points(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
