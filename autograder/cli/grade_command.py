"""``ner-instructor grade``: grade one submission (zip or folder)."""

from __future__ import annotations

import argparse
import sys

from autograder.cli.grading_options import add_grading_options, grading_settings
from autograder.grader.engine import grade_submission, submission_name
from autograder.grader.outputs import write_outputs
from autograder.grader.results_json import summary_text
from autograder.grader.safe_text import clean_text
from ner_helpers.config import resolve_path

NAME = "grade"
HELP = ("Grade one submission (a zip file or a folder): hidden tests per TODO and, for a final "
        "submission, the test-set F1 of its models; write results.json and feedback.md.")

EPILOG = """\
Student code runs only in a sandboxed child process; see docs/grading.md.
Everything printed that comes from the submission (name, ID, messages) is
cleaned of control, escape and bidirectional-override characters first.
Grading the same submission again writes the same files, byte for byte, so a
regrade is simply running the command again.

examples:
  ner-instructor grade artefacts/submissions/final-001.zip
  ner-instructor grade submissions/ada.zip --kind milestone --out regrade/ada
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("submission", help="the submission zip file or folder")
    parser.add_argument("--out", metavar="DIR",
                        help="where to write results.json and feedback.md (default: "
                             "results.out_dir of grading.yaml / SUBMISSION-NAME)")
    add_grading_options(parser)


def run(args: argparse.Namespace) -> int:
    settings = grading_settings(args)
    source = resolve_path(args.submission)
    result = grade_submission(source, kind=args.kind, settings=settings,
                              hidden_labels=args.hidden_labels, test_split=args.test_split)
    out = resolve_path(args.out or f"{settings.results.out_dir}/{submission_name(source)}")
    written = write_outputs(result, out, settings.results)
    print(summary_text(result))
    for path in written.values():
        print(f"wrote {path}")
    print(f"sandbox: {', '.join(result.protections) or 'no child was started'}")
    for error in result.internal_errors:
        print(f"internal grader error (the test failed; please report):\n{clean_text(error)}",
              file=sys.stderr)
    return 0
