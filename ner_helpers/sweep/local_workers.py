"""The extra worker processes of ``ner-kit sweep --workers N`` on this machine.

On Linux they are forked from the command's own process before it opens the study:
they start at once, with torch, Optuna and the kit already imported (an interpreter
start and these imports take about 2 s, which on a short grid is a large share of
the second worker's time), and no database connection is shared between processes,
because none is open yet when they fork. Each waits until the first process has
created the study and enqueued its grid, then opens the storage itself and works
like any other worker. Elsewhere (macOS, Windows), where forking a process that has
imported torch is not safe, each extra worker is a fresh ``ner-kit sweep`` process
on the same storage URL.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from ner_helpers.errors import KitError
from ner_helpers.sweep.sweep_file import SweepFile

#: Exit codes of a worker, as ``ner-kit sweep`` itself returns them.
EXIT_OK, EXIT_FAILED_TRIALS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def can_fork() -> bool:
    return sys.platform.startswith("linux") and \
        "fork" in multiprocessing.get_all_start_methods()


def _forked_worker(sweep: SweepFile, url: str, threads: int | None, go: Any,
                   cancelled: Any, trial_ended: Any) -> None:
    """A forked worker's life: wait for the study, then run trials like any worker."""
    try:
        go.wait()
        if cancelled.is_set():
            sys.exit(EXIT_OK)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the process ends with it)
        import torch

        from ner_helpers.sweep.storage import open_storage, open_study
        from ner_helpers.sweep.worker import SweepWorker

        if threads is not None:
            torch.set_num_threads(threads)
        storage = open_storage(url, sweep.heartbeat_seconds, str(sweep.path))
        study = open_study(sweep, storage)
        summary = SweepWorker(sweep, study, storage, show_progress=False,
                              trial_ended=trial_ended).run()
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    if summary.interrupted:
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_FAILED_TRIALS if summary.failed else EXIT_OK)


def _import_storage_modules() -> None:
    """Import what opening an RDB storage imports (SQLAlchemy's dialects, Alembic's
    migration code), so forked workers inherit it instead of importing it again."""
    import importlib

    for name in ("alembic.command", "alembic.config", "alembic.context", "alembic.migration",
                 "alembic.script", "sqlalchemy.dialects.sqlite"):
        try:
            importlib.import_module(name)
        except ImportError:  # only a little slower
            pass


@dataclass
class LocalWorkers:
    """``count`` extra workers: :meth:`start` them before the study is opened, then
    :meth:`release` them once it exists (or :meth:`cancel` them if opening failed),
    and :meth:`wait` for them at the end."""

    forked: list[Any] = field(default_factory=list)
    spawned: list[subprocess.Popen] = field(default_factory=list)
    #: Set by any worker of this machine that ends a trial (forked workers only).
    trial_ended: Any = None
    _go: Any = None
    _cancelled: Any = None
    _command: list[str] = field(default_factory=list)
    _env: dict[str, str] = field(default_factory=dict)
    _count: int = 0

    @classmethod
    def start(cls, count: int, sweep: SweepFile, url: str, threads: int | None,
              sweep_argument: str) -> LocalWorkers:
        workers = cls(_count=count)
        if count <= 0:
            return workers
        if can_fork():
            context = multiprocessing.get_context("fork")
            workers._go, workers._cancelled = context.Event(), context.Event()
            workers.trial_ended = context.Event()
            _import_storage_modules()
            for _ in range(count):
                process = context.Process(target=_forked_worker, daemon=False,
                                          args=(sweep, url, threads, workers._go,
                                                workers._cancelled, workers.trial_ended))
                process.start()
                workers.forked.append(process)
        else:  # started in release(): a fresh process joins the study once it exists
            workers._command = [sys.executable, "-m", "ner_helpers.cli.main", "sweep",
                                sweep_argument, "--storage", url, "--no-report",
                                "--no-progress"]
            workers._env = dict(os.environ)
            if threads is not None:
                workers._command += ["--threads", str(threads)]
                workers._env["OMP_NUM_THREADS"] = str(threads)
        return workers

    def release(self) -> None:
        """The study exists: let the workers run."""
        if self._go is not None:
            self._go.set()
        elif self._command:
            self.spawned = [subprocess.Popen(self._command, env=self._env,
                                             stdout=subprocess.DEVNULL)
                            for _ in range(self._count)]

    def cancel(self) -> None:
        """Opening the study failed: the waiting workers end without doing anything."""
        if self._go is not None:
            self._cancelled.set()
            self._go.set()
        self.wait()

    def wait(self) -> list[int]:
        """Wait for every worker; their exit codes."""
        codes = []
        for process in self.forked:
            process.join()
            codes.append(process.exitcode)
        codes += [child.wait() for child in self.spawned]
        return codes
