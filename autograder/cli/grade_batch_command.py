"""``ner-instructor grade-batch``: grade a folder of submissions in parallel."""

from __future__ import annotations

import argparse

from autograder.cli.course_options import (
    LATE_EPILOG,
    add_late_options,
    late_days,
    print_late_summary,
)
from autograder.cli.grading_options import add_grading_options, grading_settings
from autograder.grader.batch import GRADEBOOK_FILE, grade_batch
from autograder.grader.safe_text import one_line
from autograder.grader.shards import parse_shard
from autograder.previous_files import keep_previous_file
from ner_helpers.config import resolve_path
from ner_helpers.errors import KitError

NAME = "grade-batch"
HELP = ("Grade every submission (zip file or sub-folder) of a folder in parallel; write "
        "results.json and feedback.md per submission, a gradebook CSV and a class report.")

EPILOG = """\
Outputs go to OUT/<submission>/ and OUT/gradebook.csv (one row per submission:
student ID, name, total, points per TODO, performance points and F1; a
submission that could not be graded gets a row whose status says why). An
existing gradebook.csv is kept as gradebook.prev-N.csv.

Beside the gradebook: OUT/class-report.html, one self-contained page with the
score distribution, pass rates per TODO and hidden test, the tests failed most,
the F1 of the models against the baselines and the submissions not graded
(`report:` in grading.yaml); and, when `leaderboard: enabled` is true there,
OUT/leaderboard.csv and OUT/leaderboard.html ranking the models' F1 under the
names students chose or anonymous ids.

Many machines (docs/many-machines.md): --shard K/N grades only the K-th of N
parts of the folder (the submissions in name order, dealt round-robin) and
writes its rows to OUT/shards/shard-K-of-N.json instead of the gradebook and
pages; once every shard is done, `ner-instructor grade-batch-merge OUT`
writes the gradebook, class report and leaderboard a single run writes.

""" + LATE_EPILOG + """
examples:
  ner-instructor grade-batch submissions/ --workers 2
  ner-instructor grade-batch submissions/ --kind milestone --out grading/milestone
  ner-instructor grade-batch submissions/ --shard 3/8 --out grading/final
  ner-instructor grade-batch submissions/ --submission-times times.csv \\
      --due 2026-10-02T23:59 --ledger late-days.csv --assignment hw3
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("folder", help="folder holding the submissions")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="submissions graded at once (default: %(default)s)")
    parser.add_argument("--out", metavar="DIR",
                        help="output folder (default: results.out_dir of grading.yaml / "
                             "FOLDER-NAME)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--shard", metavar="K/N",
                        help="grade only the K-th of N parts of the folder (merge them with "
                             "grade-batch-merge)")
    add_grading_options(parser)
    add_late_options(parser)


def run(args: argparse.Namespace) -> int:
    settings = grading_settings(args)
    folder = resolve_path(args.folder)
    out = resolve_path(args.out or f"{settings.results.out_dir}/{folder.name}")
    shard = parse_shard(args.shard) if args.shard else None
    if shard and args.submission_times:
        raise KitError("--submission-times: with --shard the late policy is applied by "
                       "grade-batch-merge, once every shard is done")
    step = late_days(args, settings, folder.name)  # every input checked before grading
    if not shard:
        keep_previous_file(out / GRADEBOOK_FILE)
    report = grade_batch(folder, out, workers=max(1, args.workers), kind=args.kind,
                         settings=settings, hidden_labels=args.hidden_labels,
                         test_split=args.test_split, progress=not args.no_progress,
                         shard=shard, step=step)
    graded = sum(1 for row in report.rows if str(row.get("status", "")).startswith("graded"))
    if shard:
        print(f"shard {shard}: {len(report.rows)} submissions, {graded} graded; rows: "
              f"{report.pages[0]}")
    else:
        print(f"{len(report.rows)} submissions, {graded} graded; gradebook: {report.gradebook}")
        for path in report.pages:
            print(f"written: {path}")
    for row in report.rows:
        if not str(row.get("status", "")).startswith("graded"):
            print(f"  {one_line(row['submission'])}: {one_line(row['status'])}")
    print_late_summary(step, report.rows)
    return 0
