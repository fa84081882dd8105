"""``ner-instructor leak-check``: scan a release folder for instructor-only content."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.cli.release_options import add_release_config_option, release_settings
from autograder.release.leak_check import find_leaks, format_leaks
from ner_helpers.config import project_root

NAME = "leak-check"
HELP = ("scan a release folder for solution lines, solution/hidden-test markers, hidden "
        "tests, hidden labels and instructor-only files; exit status 1 on any finding")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", type=Path, default=None,
                        help="the release folder (default: release.out_dir of release.yaml)")
    parser.add_argument("--root", type=Path, default=None,
                        help="the instructor's source tree to compare with "
                             "(default: the project root)")
    add_release_config_option(parser)


def run(args: argparse.Namespace) -> int:
    settings = release_settings(args)
    root = (args.root or project_root()).resolve()
    path = args.path if args.path is not None else root / settings.out_dir
    leaks = find_leaks(path, root, settings)
    if leaks:
        print(f"leak check failed: {len(leaks)} finding(s) in {path}", file=sys.stderr)
        print(format_leaks(leaks, settings.leak.max_reported), file=sys.stderr)
        return 1
    print(f"leak check passed: {path}")
    return 0
