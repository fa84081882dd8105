"""Options shared by the grading commands (grade, grade-batch)."""

from __future__ import annotations

import argparse

from autograder.grader.settings import GradingSettings, load_settings
from ner_helpers.config import kit_config


def add_grading_options(parser: argparse.ArgumentParser) -> None:
    paths = kit_config()["paths"]
    parser.add_argument("--kind", choices=["auto", "milestone", "final"], default="auto",
                        help="what to grade the submission as (default: auto, from its "
                             "submission.json)")
    parser.add_argument("--hidden-labels", metavar="PATH",
                        help=f"hidden test labels (default: {paths['hidden_labels']})")
    parser.add_argument("--test-split", metavar="PATH",
                        help=f"test split with the text (default: {paths['dataset_dir']}"
                             "/test.json)")
    parser.add_argument("--grading-config", metavar="PATH",
                        help="a grading.yaml to use instead of the bundled one")


def grading_settings(args: argparse.Namespace) -> GradingSettings:
    return load_settings(args.grading_config)
