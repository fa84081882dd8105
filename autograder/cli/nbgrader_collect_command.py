"""``ner-instructor nbgrader-collect``: submission zips -> nbgrader's submitted/ folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.cli.release_options import add_release_config_option, release_settings
from autograder.nbgrader.collect import KINDS, collect_submissions
from autograder.nbgrader.course_directory import CONFIG_NAME
from ner_helpers.config import kit_config, project_root

NAME = "nbgrader-collect"
HELP = ("Put every student's submission zip (a folder of them, or an LMS download) into "
        "nbgrader's submitted/<student>/<assignment>/, with the package, the notebook, the "
        "dataset and the tokenizer that `nbgrader autograde` needs.")

EPILOG = """\
SOURCE is a folder of the kit's submission zips (searched at any depth), one
such zip, or an LMS download (folder or zip) of them. File names understood:
  Canvas      lastfirst_12345_67890_final-001.zip  (also _LATE_)
  Moodle      Ada Lovelace_123456_assignsubmission_file_/final-001.zip
  Blackboard  Homework_alovelace_attempt_2024-05-01-12-00-00_final-001.zip
  plain       <student>/<any>.zip or <student>.zip
The student folder is named after the student ID in the zip's identity.json
(the LMS id when that is missing). Only zips of --kind are collected; of
several of one student the newest counts (final-003 over final-002).

Each student folder gets the released package (solutions stripped) with the
student's TODO files over it, the notebook from the zip, the dataset (test
split without labels) and, for final zips, artefacts/tokenizer.json. A folder
collected earlier that differs is moved to earlier_submissions/<student>/
(nbgrader.collect.keep_dir of release.yaml), never overwritten. A log of what
was collected from where is written to COURSE_DIR/collected.csv.

then:
  cd artefacts/nbgrader && nbgrader autograde ner_homework --force

examples:
  ner-instructor nbgrader-collect downloads/canvas-final.zip
  ner-instructor nbgrader-collect submissions/ --kind milestone
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("source", type=Path,
                        help="folder or zip of submission zips (an LMS download)")
    parser.add_argument("--kind", choices=KINDS, default="final",
                        help="which submissions to collect (default: %(default)s)")
    parser.add_argument("--course-dir", type=Path, default=None,
                        help="nbgrader course directory (default: nbgrader.course_dir of "
                             "release.yaml, artefacts/nbgrader)")
    parser.add_argument("--dataset", type=Path, default=None,
                        help="folder with the students' train/val/test.json (default: "
                             "paths.dataset_dir of kit.yaml)")
    parser.add_argument("--root", type=Path, default=None,
                        help="the instructor's source tree, whose package is released "
                             "(default: the project root)")
    add_release_config_option(parser)


def run(args: argparse.Namespace) -> int:
    settings = release_settings(args)
    kit = kit_config()
    root = (args.root or project_root()).resolve()
    course = args.course_dir or root / settings.nbgrader.course_dir
    dataset = args.dataset or root / str(kit["paths"]["dataset_dir"])
    report = collect_submissions(args.source, course, root=root, settings=settings, kit=kit,
                                 dataset_dir=dataset, kind=args.kind)
    print(report.summary())
    if not (report.course_dir / CONFIG_NAME).is_file():
        print(f"note: {report.course_dir} has no {CONFIG_NAME} yet; `ner-instructor release` "
              "creates the course directory (and the student notebooks nbgrader needs)")
    elif report.collected:
        print(f"next: cd {report.course_dir} && nbgrader autograde "
              f"{settings.nbgrader.assignment_id} --force")
    return 0
