"""``ner-instructor bundle``: build the Gradescope autograder zip."""

from __future__ import annotations

import argparse

from autograder.grader.settings import load_settings
from autograder.gradescope.bundle import build_bundle
from ner_helpers.config import resolve_path

NAME = "bundle"
HELP = ("Build the Gradescope autograder zip: setup.sh (installs the CPU build of torch and the "
        "kit), run_autograder, the source tree with the reference solution and hidden tests, "
        "the test split and the hidden labels.")

EPILOG = """\
Upload the zip as the autograder of a Gradescope programming assignment (one
assignment per submission kind). The bundle holds the reference solution and
the hidden labels: keep it away from students. See docs/grading.md.

examples:
  ner-instructor bundle
  ner-instructor bundle --kind milestone
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("--kind", choices=["milestone", "final", "auto"],
                        help="what the bundle grades submissions as (default: gradescope.kind "
                             "of grading.yaml)")
    parser.add_argument("--out", metavar="PATH",
                        help="the zip to write (default: gradescope.out_dir of grading.yaml / "
                             "autograder-KIND.zip)")
    parser.add_argument("--hidden-labels", metavar="PATH", help="hidden test labels to bundle "
                        "(default: kit.yaml paths.hidden_labels)")
    parser.add_argument("--test-split", metavar="PATH", help="test split to bundle (default: "
                        "kit.yaml paths.dataset_dir/test.json)")
    parser.add_argument("--grading-config", metavar="PATH",
                        help="a grading.yaml to use instead of the bundled one")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.grading_config)
    path = build_bundle(resolve_path(args.out) if args.out else None, kind=args.kind,
                        hidden_labels=args.hidden_labels, test_split=args.test_split,
                        settings=settings)
    print(f"Gradescope autograder bundle: {path} ({path.stat().st_size:,} bytes)")
    return 0
