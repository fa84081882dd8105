"""``ner-instructor similarity``: compare the code inside each TODO across the class."""

from __future__ import annotations

import argparse

from autograder.cli.grading_options import grading_settings
from autograder.grader.safe_text import one_line
from ner_helpers.config import kit_config, resolve_path
from ner_helpers.errors import KitError
from ner_helpers.submission import final_file_names

NAME = "similarity"
HELP = ("Compare the code each student wrote inside each TODO region, pairwise across the "
        "class and against known solutions; write an HTML report and a CSV.")

EPILOG = """\
FOLDER is what grade-batch takes (each zip file or sub-folder one submission;
only each student's latest final submission counts) or nbgrader's course
folder after nbgrader-collect (its submitted/ folder). Only the code between
each TODO's hint and the end of its method is compared: provided code and the
release's hints and stubs never count. Student code is parsed, never imported
or run; zips are unpacked with the grader's limits.

--known DIR: known solutions, compared with every student: public repositories
of the original homework (the ner/ package layout), copies of this kit
(ner_helpers/), earlier terms' submissions (zips or folders).

Writes OUT/similarity.html (offline, self-contained) and OUT/similarity.csv;
earlier ones are kept as .prev-N. Settings (k-gram and window sizes, the flag
threshold, limits, naming students by name or by the leaderboard's anonymous
ids) are the `similarity:` block of grading.yaml; docs/grading.md, section
"Similarity", says how the default threshold was chosen. Similarity is
evidence to look at, not a verdict.

examples:
  ner-instructor similarity submissions/ --known public-solutions/
  ner-instructor similarity course/ --naming leaderboard --out grading/similarity
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("folder", help="the submissions folder (as for grade-batch) or "
                                       "nbgrader's course folder")
    parser.add_argument("--known", metavar="DIR", action="append", default=[],
                        help="a folder of known solutions (may be given more than once)")
    parser.add_argument("--out", metavar="DIR",
                        help="output folder (default: results.out_dir of grading.yaml / "
                             "FOLDER-NAME)")
    parser.add_argument("--kind", choices=["final", "milestone"], default="final",
                        help="which submissions to compare (default: %(default)s)")
    parser.add_argument("--naming", choices=["name", "leaderboard"],
                        help="show students by ID and name, or by the leaderboard's anonymous "
                             "ids (default: similarity.naming of grading.yaml)")
    parser.add_argument("--threshold", type=float, metavar="F",
                        help="flag pairs with overall overlap at least F, in (0, 1] "
                             "(default: similarity.threshold of grading.yaml)")
    parser.add_argument("--assignment", metavar="ID",
                        help="in an nbgrader course folder, only this assignment's folders")
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="processes that tokenize and fingerprint (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.add_argument("--grading-config", metavar="PATH",
                        help="a grading.yaml to use instead of the bundled one")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from autograder.grader.settings import default_settings_path
    from autograder.similarity.analysis import analyse
    from autograder.similarity.regions import todo_specs
    from autograder.similarity.report import write_report
    from autograder.similarity.settings import load_similarity
    from autograder.similarity.sources import (
        is_nbgrader_folder,
        read_batch_folder,
        read_known_folder,
        read_nbgrader_folder,
    )

    grading = grading_settings(args)
    settings = load_similarity(args.grading_config or default_settings_path())
    if args.naming:
        settings = replace(settings, naming=args.naming)
    if args.threshold is not None:
        if not 0 < args.threshold <= 1:
            raise KitError(f"--threshold must be in (0, 1], got {args.threshold}")
        settings = replace(settings, threshold=args.threshold)
    folder = resolve_path(args.folder)
    if not folder.is_dir():
        raise KitError(f"{folder}: not a folder of submissions")
    submission = kit_config()["submission"]
    files = (final_file_names(submission) if args.kind == "final"
             else list(submission["milestone_files"]))
    max_bytes = settings.max_file_kb * 1024
    progress = not args.no_progress
    if is_nbgrader_folder(folder):
        found = read_nbgrader_folder(folder, files, max_bytes, args.assignment)
    else:
        found = read_batch_folder(folder, files, grading, max_bytes, args.kind, progress)
    if not found.students:
        raise KitError(f"{folder}: no {args.kind} submissions found")
    known = []
    for path in args.known:
        known += read_known_folder(resolve_path(path), files, grading, max_bytes)
    specs = [spec for spec in todo_specs() if spec.file in files]
    result = analyse(found.students, known, specs, settings, grading.results.leaderboard,
                     found.skipped, progress, max(1, args.workers))
    out = resolve_path(args.out or f"{grading.results.out_dir}/{folder.name}")
    html_path, csv_path = write_report(result, out, f"Code similarity: {folder.name}")
    flagged = [pair for pair in result.pairs if pair.overall >= settings.threshold]
    print(f"{len(result.students)} students, {len(result.known)} known solutions, "
          f"{len(result.pairs)} pairs, {len(flagged)} at or above {settings.threshold:.0%}")
    for pair in flagged[:20]:
        print(f"  {pair.overall:6.1%}  {one_line(pair.a.label)} / {one_line(pair.b.label)}")
    print(f"written: {html_path}\nwritten: {csv_path}")
    print("Similarity is evidence to look at, not a verdict: read the pairs side by side.")
    return 0
