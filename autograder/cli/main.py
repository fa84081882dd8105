"""``ner-instructor``: release, leak check, grading, bundles, calibration and similarity.

Sub-commands follow the same pattern as ``ner-kit`` (see
:mod:`ner_helpers.cli.main`): one module per command.
"""

from __future__ import annotations

import sys

from ner_helpers.cli.main import build_parser, run_cli

COMMAND_MODULES = [
    "autograder.cli.demo_command",
    "autograder.cli.release_command",
    "autograder.cli.leak_check_command",
    "autograder.cli.grade_command",
    "autograder.cli.grade_batch_command",
    "autograder.cli.grade_batch_merge_command",
    "autograder.cli.bundle_command",
    "autograder.cli.calibrate_command",
    "autograder.cli.nbgrader_collect_command",
    "autograder.cli.gradebook_merge_command",
    "autograder.cli.similarity_command",
]


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser("ner-instructor", COMMAND_MODULES), argv)


if __name__ == "__main__":
    sys.exit(main())
