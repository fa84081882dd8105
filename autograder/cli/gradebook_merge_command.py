"""``ner-instructor gradebook-merge``: the kit's gradebooks plus nbgrader's written answers."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.cli.release_options import add_release_config_option, release_settings
from autograder.nbgrader.gradebook_merge import (
    merge_gradebooks,
    read_kit_gradebook,
    read_written_scores,
    write_merged,
)
from ner_helpers.config import resolve_path

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

examples:
  ner-instructor gradebook-merge --kit artefacts/grading/final/gradebook.csv
  ner-instructor gradebook-merge --kit grading/milestone/gradebook.csv \\
      --kit grading/final/gradebook.csv --out grades.csv
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
    add_release_config_option(parser)


def run(args: argparse.Namespace) -> int:
    settings = release_settings(args)
    course = resolve_path(args.course_dir or settings.nbgrader.course_dir)
    kit_rows = [row for path in args.kit for row in read_kit_gradebook(resolve_path(path))]
    written = read_written_scores(course, settings.nbgrader.course_id,
                                  settings.nbgrader.assignment_id)
    header, rows = merge_gradebooks(kit_rows, written)
    out = write_merged(resolve_path(args.out or settings.merged_gradebook), header, rows)
    ungraded = sum(1 for row in rows if row.get("written_ungraded"))
    print(f"{len(rows)} students; merged gradebook: {out}")
    if ungraded:
        print(f"{ungraded} students have written answers still to grade in formgrader")
    return 0
