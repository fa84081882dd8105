"""``ner-kit sweep``: run a sweep file's trials on an Optuna study (one worker or many)."""

from __future__ import annotations

import argparse
import sys
import warnings

from ner_helpers.errors import KitError

NAME = "sweep"
HELP = ("Run a sweep (a grid or TPE-sampled trials over config keys) described in a YAML "
        "file; every trial is an experiment folder. Start it on several machines with one "
        "--storage URL to share the study.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the sweep file (see docs/sweeps.md)")
    parser.add_argument("--storage", metavar="URL",
                        help="an Optuna database URL, e.g. postgresql://user:pass@host/db "
                             "(default: sqlite:///artefacts/sweeps/NAME.db)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes on this machine (default: %(default)s)")
    parser.add_argument("--threads", type=int,
                        help="torch threads per worker (default: torch's own choice)")
    parser.add_argument("--no-report", action="store_true",
                        help="do not write the table and plots at the end")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def import_optuna() -> None:
    """Optuna is an install extra: say how to get it when it is missing."""
    try:
        import optuna  # noqa: F401
    except ModuleNotFoundError:
        raise KitError('sweeps need Optuna: pip install -e ".[sweep]"') from None


def run(args: argparse.Namespace) -> int:
    import_optuna()
    import optuna
    from tqdm.auto import tqdm

    from ner_helpers.sweep.local_workers import EXIT_FAILED_TRIALS, LocalWorkers
    from ner_helpers.sweep.report import write_report
    from ner_helpers.sweep.storage import default_storage_url, open_storage, open_study, sweeps_dir
    from ner_helpers.sweep.sweep_file import load_sweep_file
    from ner_helpers.sweep.worker import SweepWorker

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if args.workers < 1:
        raise KitError(f"--workers must be at least 1, got {args.workers}")
    if args.threads is not None and args.threads < 1:
        raise KitError(f"--threads must be at least 1, got {args.threads}")
    sweep = load_sweep_file(args.file)
    url = args.storage or default_storage_url(sweep.name)
    # The other workers of this machine start now, before any database connection is
    # open or torch has started threads, and wait until the study exists.
    children = LocalWorkers.start(args.workers - 1, sweep, url, args.threads, args.file)
    try:
        if args.threads is not None:
            import torch

            torch.set_num_threads(args.threads)
        storage = open_storage(url, sweep.heartbeat_seconds, str(sweep.path))
        study = open_study(sweep, storage)
    except BaseException:
        children.cancel()
        raise
    children.release()
    worker = SweepWorker(sweep, study, storage, show_progress=not args.no_progress,
                         trial_ended=children.trial_ended)
    bar = tqdm(total=sweep.budget(), initial=worker.finished(), desc="trials", unit="trial",
               disable=args.no_progress, dynamic_ncols=True)

    def refresh() -> None:
        bar.n = worker.finished()
        bar.refresh()

    codes: list[int] = []
    try:
        summary = worker.run(on_trial_done=refresh)
    finally:
        codes = children.wait()
        refresh()
        bar.close()
    print(f"study {sweep.name!r} ({_public(url)}): {worker.finished()} of {sweep.budget()} "
          f"trials finished; this worker: {summary.completed} complete, {summary.pruned} "
          f"pruned, {summary.failed} failed")
    if summary.interrupted:
        print("stopped: the finished trials are kept; run the same command to continue",
              file=sys.stderr)
        return 130
    if not args.no_report:
        written = write_report(study, sweeps_dir() / sweep.name, sweep.metric)
        print(written["markdown"].read_text(encoding="utf-8"), end="")
        print("report: " + ", ".join(str(path) for path in written.values()))
    return 1 if summary.failed or EXIT_FAILED_TRIALS in codes else 0


def _public(url: str) -> str:
    from ner_helpers.sweep.storage import masked

    return masked(url)
