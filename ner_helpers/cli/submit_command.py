"""``ner-kit submit``: check the pieces of a submission and write its zip."""

from __future__ import annotations

import argparse

from ner_helpers.config import kit_config
from ner_helpers.errors import KitError
from ner_helpers.submission import (
    KINDS,
    LEADERBOARD_NAME_CHARS,
    build_submission,
    load_identity,
    optional_models,
    plan_submission,
)

NAME = "submit"
HELP = ("Check and write the milestone zip (the four files of TODOs 1.1 to 3) or the final zip "
        "(all six files, the tokenizer, and the trained FFNN and RNN with their test "
        "predictions) into artefacts/submissions/.")

EPILOG = """\
Your identity (student ID and name) is stored in artefacts/identity.json the
first time you pass --student-id and --name, and reused afterwards. When your
course runs a class leaderboard, --leaderboard-name NAME stores the name it
shows for you (without one it shows an anonymous id; "" removes it).

Every problem found is listed at once and nothing is written until all are
fixed. Earlier submissions are kept: each run writes KIND-NNN.zip with the next
number and copies it to KIND-latest.zip.

Both zips also carry your notebook with the written answers, as last saved on
disk: save it (File > Save, or Ctrl+S) before you run this command. In Colab,
use the notebook's submission cell instead (submit("milestone")): it takes the
notebook from the Colab page, as it is, and a terminal cannot reach that page.

The notebook is checked first. Was it run from top to bottom in one kernel
session (execution counts from 1 up without going back, no error output, no
code cell left unrun above the submission cell)? Is the collaboration
statement at its top filled in? When not, the first offending cell is named
(its number, counting every cell from the top, and its first line) with what
to do: restart the kernel, run all cells, save, and submit again.
submission.run_order and submission.collaboration_statement in kit.yaml
decide whether that is a warning (the default) or stops the submission.

examples:
  ner-kit submit milestone --student-id 12345678 --name "Ada Lovelace"
  ner-kit submit final
  ner-kit submit final --rnn rnn-small --check
  ner-kit submit final --notebook ~/Downloads/assignment.ipynb
  ner-kit submit final --leaderboard-name "Team Viterbi"
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    paths = kit_config()["paths"]
    parser.add_argument("kind", choices=KINDS, help="which submission to build")
    parser.add_argument("--student-id", help="your student ID (stored for later submissions)")
    parser.add_argument("--name", help="your full name (stored for later submissions)")
    parser.add_argument("--leaderboard-name", metavar="NAME",
                        help="the name a class leaderboard shows for you, at most "
                             f"{LEADERBOARD_NAME_CHARS} characters (stored; default: an "
                             "anonymous id)")
    for model in kit_config()["submission"]["models"]:
        parser.add_argument(f"--{model}", metavar="EXPERIMENT",
                            help=f"experiment name or folder of the {model} model "
                                 f"(default: {paths['experiments_dir']}/{model})")
    for model in optional_models():
        parser.add_argument(f"--{model}", metavar="EXPERIMENT",
                            help=f"experiment name or folder of the optional {model} model, "
                                 f"in the final zip when given or when "
                                 f"{paths['experiments_dir']}/{model} exists")
    parser.add_argument("--tokenizer", help=f"tokenizer file (default: {paths['tokenizer']})")
    parser.add_argument("--dataset-dir",
                        help=f"folder with test.json (default: {paths['dataset_dir']})")
    parser.add_argument("--package-dir",
                        help="folder of your ner_helpers package (default: the imported one)")
    notebook = kit_config()["submission"].get("notebook")
    parser.add_argument("--notebook", metavar="PATH",
                        help="your assignment notebook, packed as notebooks/<its name> for the "
                             "written answers; save it first (default: "
                             + (f"{notebook}, left out with a warning when missing"
                                if notebook else "none") + ")")
    parser.add_argument("--out-dir",
                        help=f"where to write the zip (default: {paths['submissions_dir']})")
    parser.add_argument("--check", action="store_true",
                        help="only check the pieces; write nothing")


def run(args: argparse.Namespace) -> int:
    settings = kit_config()["submission"]
    slots = [*settings["models"], *optional_models()]
    experiments = {model: getattr(args, model) for model in slots if getattr(args, model, None)}
    options = {"package_dir": args.package_dir, "tokenizer_path": args.tokenizer,
               "dataset_dir": args.dataset_dir, "experiments": experiments,
               "notebook_path": args.notebook}
    if args.check:
        if (args.student_id is None) != (args.name is None):
            raise KitError("give both --student-id and --name (or neither)")
        from ner_helpers.submission import Identity

        identity = (Identity(args.student_id, args.name) if args.student_id is not None
                    else load_identity())
        if identity is not None and args.leaderboard_name is not None:
            identity = Identity(identity.student_id, identity.name, args.leaderboard_name)
        plan = plan_submission(args.kind, identity=identity, **options)
        for warning in plan.warnings:
            print(f"warning: {warning}")
        if plan.problems:
            lines = "\n".join(f"  - {problem}" for problem in plan.problems)
            raise KitError(f"the {args.kind} submission is not ready:\n{lines}")
        print(f"the {args.kind} submission is ready ({len(plan.entries)} files)")
        return 0
    report = build_submission(args.kind, student_id=args.student_id, name=args.name,
                              out_dir=args.out_dir, leaderboard_name=args.leaderboard_name,
                              **options)
    print(report.summary())
    return 0
