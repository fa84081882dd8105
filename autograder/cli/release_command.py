"""``ner-instructor release``: build the student release and leak-check it."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.cli.release_options import add_release_config_option, release_settings
from autograder.release.builder import build_release
from autograder.release.publishing import ALLOW_PLACEHOLDER_FLAG, is_placeholder_url, publish_steps
from ner_helpers.config import project_root

NAME = "release"
HELP = ("build the student repository (package without solutions, nbgrader student "
        "notebooks, dataset without test labels, README) and leak-check it")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None,
                        help="release folder (default: release.out_dir of release.yaml, "
                             "artefacts/release/student); an earlier release there is moved "
                             "to OUT.prev, never deleted")
    parser.add_argument("--root", type=Path, default=None,
                        help="the instructor's source tree (default: the project root)")
    parser.add_argument("--dataset", type=Path, default=None,
                        help="folder with train.json, val.json, test.json "
                             "(default: paths.dataset_dir of kit.yaml)")
    parser.add_argument("--course-dir", type=Path, default=None,
                        help="nbgrader course directory to generate the notebooks in "
                             "(default: nbgrader.course_dir of release.yaml, artefacts/nbgrader)")
    add_release_config_option(parser)
    parser.add_argument("--zip", action="store_true",
                        help="also write OUT.zip (sorted entries, fixed dates: reproducible)")
    parser.add_argument(ALLOW_PLACEHOLDER_FLAG, action="store_true",
                        help="build even though colab.repository_url is still the example "
                             "address (a dry run: do not publish that release)")


def run(args: argparse.Namespace) -> int:
    settings = release_settings(args)
    root = (args.root or project_root()).resolve()
    report = build_release(root, args.out, dataset_dir=args.dataset,
                           course_dir=args.course_dir, settings=settings, make_zip=args.zip,
                           allow_placeholder_url=args.allow_placeholder_url)
    print(f"student release: {report.out_dir} ({report.files} files, {report.todos} TODOs; "
          f"leak check passed)")
    if report.previous is not None:
        print(f"earlier release kept in {report.previous}")
    if report.zip_path is not None:
        print(f"zip: {report.zip_path}")
        if report.previous_zip is not None:
            print(f"earlier zip kept as {report.previous_zip}")
    print(f"nbgrader course directory: {report.course_dir}")
    if is_placeholder_url(settings):
        print(f"dry run: colab.repository_url is the example address "
              f"{settings.colab_repository_url}; do not publish this release")
    else:
        print(publish_steps(settings, report.out_dir, root))
    return 0
