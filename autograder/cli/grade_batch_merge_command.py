"""``ner-instructor grade-batch-merge``: the class files of a folder graded in shards."""

from __future__ import annotations

import argparse

from autograder.cli.course_options import (
    LATE_EPILOG,
    add_late_options,
    late_days,
    print_late_summary,
)
from autograder.cli.grading_options import grading_settings
from autograder.grader.batch import GRADEBOOK_FILE, merge_shards
from autograder.grader.shards import read_shards
from autograder.previous_files import keep_previous_file
from ner_helpers.config import resolve_path

NAME = "grade-batch-merge"
HELP = ("Merge the shards of `grade-batch --shard K/N` into the gradebook, class report and "
        "leaderboard that one grade-batch run of the whole folder writes.")

EPILOG = """\
OUT is the --out folder every shard wrote into (on a shared file system, or
copied together): OUT/<submission>/ of each submission and
OUT/shards/shard-K-of-N.json of each shard. Every shard 1..N must have
finished; a missing or foreign shard file stops the merge with its name, and
nothing is written. An existing gradebook.csv is kept as gradebook.prev-N.csv.

""" + LATE_EPILOG + """
examples:
  ner-instructor grade-batch-merge artefacts/grading/final
  ner-instructor grade-batch-merge grading/hw3 --submission-times gradescope/ \\
      --ledger late-days.csv --assignment hw3
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("out", metavar="OUT", help="the output folder of the shards")
    parser.add_argument("--grading-config", metavar="PATH",
                        help="a grading.yaml to use instead of the bundled one (the one the "
                             "shards graded with)")
    add_late_options(parser)


def run(args: argparse.Namespace) -> int:
    settings = grading_settings(args)
    out = resolve_path(args.out)
    title, _ = read_shards(out)  # every shard present and sound before anything is written
    step = late_days(args, settings, title)
    keep_previous_file(out / GRADEBOOK_FILE)
    report = merge_shards(out, settings, step)
    graded = sum(1 for row in report.rows if str(row.get("status", "")).startswith("graded"))
    print(f"{len(report.rows)} submissions, {graded} graded; gradebook: {report.gradebook}")
    for path in report.pages:
        print(f"written: {path}")
    print_late_summary(step, report.rows)
    return 0
