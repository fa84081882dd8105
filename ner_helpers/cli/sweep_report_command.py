"""``ner-kit sweep-report``: the table and plots of a sweep's study."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

NAME = "sweep-report"
HELP = ("Write a sweep study's results table (CSV and Markdown) and plots: the metric "
        "against each axis and the learning curves of each axis value.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", help="the study's name (the sweep file's name)")
    parser.add_argument("--storage", metavar="URL",
                        help="the study's database URL (default: "
                             "sqlite:///artefacts/sweeps/STUDY.db)")
    parser.add_argument("--out", help="output folder (default: artefacts/sweeps/STUDY)")
    parser.add_argument("--metric", default="weighted_f1", choices=["weighted_f1", "micro_f1"],
                        help="the validation metric reported (default: %(default)s)")
    parser.add_argument("--no-plots", action="store_true", help="write the tables only")


def run(args: argparse.Namespace) -> int:
    from ner_helpers.cli.sweep_command import import_optuna

    import_optuna()
    import optuna

    from ner_helpers.config import resolve_path
    from ner_helpers.errors import KitError
    from ner_helpers.sweep.report import write_report
    from ner_helpers.sweep.storage import load_existing_study, sweeps_dir

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if args.storage is None:
        path = sweeps_dir() / f"{args.study}.db"
        if not path.is_file():
            raise KitError(f"{path}: no sweep storage for study {args.study!r}")
        url = f"sqlite:///{path}"
    else:
        url = args.storage
    study = load_existing_study(args.study, url)
    out = resolve_path(args.out) if args.out else sweeps_dir() / args.study
    written = write_report(study, Path(out), args.metric, plots=not args.no_plots)
    print(written["markdown"].read_text(encoding="utf-8"), end="")
    print("report: " + ", ".join(str(path) for path in written.values()))
    return 0
