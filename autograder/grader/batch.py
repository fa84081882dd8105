"""Grading a folder of submissions in parallel.

Each zip file and each sub-folder of the input folder is one submission. Every
submission is graded in a worker process (its own sandboxed child under it),
its ``results.json`` and ``feedback.md`` go to ``OUT/<submission>/``, and
``OUT/gradebook.csv`` gets one row per submission, also for those the grader
could not grade. Beside it go the class report (``OUT/class-report.html``,
:mod:`.class_report`) and, when grading.yaml enables it, the class leaderboard
(:mod:`.leaderboard`).

A worker process can die under a submission: the kernel's out-of-memory killer
ends it when a container's memory limit is reached, or student code that gets
past the sandbox kills it. The pool then fails every submission it still held.
Those submissions are graded again, each in a fresh process of its own, so only
a submission that kills its own grading process again gets an error row; the
others get their normal results.

A big class can be graded on several machines: ``shard=(K, N)`` grades only
the K-th of N deterministic parts of the folder (:mod:`.shards`) and writes its
rows to ``OUT/shards/`` instead of the class files; :func:`merge_shards` then
reads every shard's rows and writes the gradebook, class report and
leaderboard through :func:`write_batch_outputs`, the one function a single run
writes them with, so the files are byte for byte those of a single run.

A ``step`` (the late policy of :mod:`autograder.course.late_days`) works on the
rows after grading: it adds gradebook columns, sections of the class report
and files of its own, the same way in a single run and in a merge.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Protocol

from tqdm.auto import tqdm

from autograder.grader.class_report import batch_details, write_class_report
from autograder.grader.engine import grade_submission, submission_name
from autograder.grader.gradebook import error_row, result_row, write_gradebook
from autograder.grader.leaderboard import write_leaderboard
from autograder.grader.outputs import write_outputs
from autograder.grader.settings import GradingSettings, load_settings
from autograder.grader.shards import (
    Shard,
    read_shards,
    shard_of,
    shard_path,
    write_shard,
)
from ner_helpers.errors import KitError

GRADEBOOK_FILE = "gradebook.csv"

#: The arguments of :func:`grade_one` for one submission.
Job = tuple[Path, str, Path, str, GradingSettings, Path | None, Path | None]
#: Grades one submission: :func:`grade_one` (a test may put another in its place).
Worker = Callable[..., dict[str, Any]]


class RowStep(Protocol):
    """Work on a graded batch's rows before its class files are written."""

    def apply(self, rows: list[dict[str, Any]]) -> list[str]:
        """Change ``rows`` in place; return the gradebook columns it added."""

    def report_sections(self, rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
        """Sections (heading, HTML) for the class report."""

    def write(self, out_dir: Path) -> list[Path]:
        """Write the step's own files; return them."""


@dataclass(frozen=True)
class BatchReport:
    rows: list[dict[str, Any]]
    #: The gradebook (``None`` for a shard: the merge writes it).
    gradebook: Path | None
    out_dir: Path
    #: The class report and leaderboard files written beside the gradebook (a shard:
    #: its rows file).
    pages: tuple[Path, ...] = ()
    #: Files a step wrote (feedback lines, the late-day ledger).
    step_files: tuple[Path, ...] = ()


def find_submissions(folder: Path, exclude: Path | None = None) -> list[Path]:
    """The zip files and sub-folders of ``folder`` (hidden names and ``exclude`` skipped)."""
    if not folder.is_dir():
        raise KitError(f"{folder}: not a folder of submissions")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or (exclude is not None and entry.resolve() == exclude):
            continue
        if entry.is_dir() or entry.suffix.lower() == ".zip":
            found.append(entry)
    return found


def _output_names(submissions: list[Path]) -> dict[Path, str]:
    names: dict[Path, str] = {}
    used: set[str] = set()
    for path in submissions:
        base = submission_name(path)
        name, number = base, 2
        while name in used:
            name, number = f"{base}-{number}", number + 1
        used.add(name)
        names[path] = name
    return names


def grade_one(path: Path, name: str, out_dir: Path, kind: str, settings: GradingSettings,
              hidden_labels: Path | None, test_split: Path | None) -> dict[str, Any]:
    """Grade one submission and write its files; never raises (errors become a row)."""
    try:
        result = grade_submission(path, kind=kind, settings=settings, hidden_labels=hidden_labels,
                                  test_split=test_split, submission_id=name)
    except KitError as exc:
        return error_row(name, str(exc).splitlines()[0])
    except Exception as exc:  # noqa: BLE001 (a grader bug must not stop the batch)
        return error_row(name, f"{type(exc).__name__}: {exc}")
    write_outputs(result, out_dir / name, settings.results)
    row = result_row(result)
    row.update(batch_details(result, settings))  # for the class pages, not the gradebook
    if result.internal_errors and not result.grader_error:
        row["status"] = "graded (with internal grader errors; see the log)"
    return row


def grade_batch(folder: str | Path, out_dir: str | Path, *, workers: int = 1,
                kind: str = "auto", settings: GradingSettings | None = None,
                hidden_labels: str | Path | None = None, test_split: str | Path | None = None,
                progress: bool = True, shard: Shard | None = None,
                step: RowStep | None = None) -> BatchReport:
    """Grade every submission of ``folder`` (or the ``shard`` of them) with ``workers``
    processes; write the gradebook and class pages (a shard: its rows file)."""
    settings = settings or load_settings()
    folder, out_dir = Path(folder), Path(out_dir)
    submissions = find_submissions(folder, exclude=out_dir.resolve())
    if not submissions:
        raise KitError(f"{folder}: no submissions (zip files or folders) found")
    names = _output_names(submissions)
    mine = shard_of(submissions, shard) if shard else submissions
    out_dir.mkdir(parents=True, exist_ok=True)
    if shard:
        shard_path(out_dir, shard).unlink(missing_ok=True)  # no stale rows if this run fails
    labels = Path(hidden_labels) if hidden_labels else None
    split = Path(test_split) if test_split else None
    rows: list[dict[str, Any]] = []
    bar = tqdm(total=len(mine), desc="grading", unit="submission", disable=not progress,
               dynamic_ncols=True)
    if workers <= 1:
        for path in mine:
            rows.append(grade_one(path, names[path], out_dir, kind, settings, labels, split))
            bar.update()
    elif mine:
        jobs = {path: (path, names[path], out_dir, kind, settings, labels, split)
                for path in mine}
        rows += _grade_in_pool(jobs, grade_one, workers, bar)
    bar.close()
    rows = sorted(rows, key=lambda r: str(r["submission"]))
    if shard:
        written = write_shard(out_dir, shard, folder.name, [names[p] for p in submissions],
                              [names[p] for p in mine], rows)
        return BatchReport(rows, None, out_dir, (written,))
    gradebook, pages, step_files = write_batch_outputs(rows, out_dir, settings, folder.name,
                                                       step)
    return BatchReport(rows, gradebook, out_dir, pages, step_files)


def write_batch_outputs(rows: list[dict[str, Any]], out_dir: Path, settings: GradingSettings,
                        title: str, step: RowStep | None = None
                        ) -> tuple[Path, tuple[Path, ...], tuple[Path, ...]]:
    """The gradebook, class report and leaderboard of a batch's rows (and the step's
    files): the one writer of a single run and of a merge of shards."""
    extra = step.apply(rows) if step is not None else []
    sections = step.report_sections(rows) if step is not None else []
    gradebook = write_gradebook(rows, out_dir / GRADEBOOK_FILE, settings, extra_columns=extra)
    report = write_class_report(rows, out_dir, settings, title, extra_sections=sections)
    pages = ([report] if report else []) + write_leaderboard(
        rows, out_dir, settings.results.leaderboard, f"Leaderboard: {title}")
    step_files = step.write(out_dir) if step is not None else []
    return gradebook, tuple(pages), tuple(step_files)


def merge_shards(out_dir: str | Path, settings: GradingSettings | None = None,
                 step: RowStep | None = None) -> BatchReport:
    """Merge the rows of every shard in ``out_dir`` into the class files a single run
    writes; a shard that did not finish stops the merge (its name in the error)."""
    settings = settings or load_settings()
    out_dir = Path(out_dir)
    title, rows = read_shards(out_dir)
    rows = sorted(rows, key=lambda r: str(r["submission"]))
    gradebook, pages, step_files = write_batch_outputs(rows, out_dir, settings, title, step)
    return BatchReport(rows, gradebook, out_dir, pages, step_files)


def _grade_in_pool(jobs: dict[Path, Job], worker: Worker, workers: int,
                   bar: tqdm) -> list[dict[str, Any]]:
    """Grade ``jobs`` with a pool of ``workers`` processes; grade those a broken pool
    lost again, each in its own process."""
    context = multiprocessing.get_context("spawn")
    rows: list[dict[str, Any]] = []
    lost: list[Path] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: dict[Future, Path] = {pool.submit(worker, *job): path
                                       for path, job in jobs.items()}
        for future in as_completed(futures):
            path = futures[future]
            try:
                rows.append(future.result())
            except BrokenProcessPool:
                lost.append(path)  # a worker died: this one is graded again alone
                continue
            except Exception as exc:  # noqa: BLE001 (a result that could not come back)
                rows.append(error_row(jobs[path][1], f"the grading worker failed: {exc}"))
            bar.update()
    if lost:
        rows += grade_isolated([jobs[path] for path in sorted(lost)], worker, workers, bar)
    return rows


def _isolated_entry(connection: Connection, worker: Worker, job: Job) -> None:
    """Body of an isolated grading process: grade one submission, send back its row."""
    try:
        row = worker(*job)
    except Exception as exc:  # noqa: BLE001 (the row reports it)
        row = error_row(job[1], f"the grading worker failed: {type(exc).__name__}: {exc}")
    connection.send(row)
    connection.close()


def death_message(exitcode: int | None) -> str:
    """Why an isolated grading process ended without a result, for the gradebook."""
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        name = signal.Signals(number).name if number in signal.valid_signals() else number
        if number == signal.SIGKILL:
            return (f"the grading process was killed ({name}) while grading this submission "
                    "alone, most likely by the kernel for using more memory than the "
                    "container or machine allows; grade it alone with more memory, or look "
                    "at its code")
        return (f"the grading process died ({name}) while grading this submission alone; "
                "grade it alone to see why")
    return (f"the grading process ended with exit code {exitcode} and no result while "
            "grading this submission alone; grade it alone to see why")


def grade_isolated(jobs: list[Job], worker: Worker, workers: int,
                   bar: tqdm | None = None) -> list[dict[str, Any]]:
    """Grade each job in a fresh process of its own, ``workers`` at a time.

    A process that dies without a result costs only its own submission: that
    submission gets an error row saying how the process ended.
    """
    context = multiprocessing.get_context("spawn")
    pending = list(jobs)
    running: dict[Connection, tuple[multiprocessing.process.BaseProcess, Job]] = {}
    rows: list[dict[str, Any]] = []
    try:
        while pending or running:
            while pending and len(running) < max(1, workers):
                job = pending.pop(0)
                receive, send = context.Pipe(duplex=False)
                process = context.Process(target=_isolated_entry, args=(send, worker, job),
                                          name=f"grade-{job[1]}")
                process.start()
                send.close()
                running[receive] = (process, job)
            for receive in wait(list(running)):
                process, job = running.pop(receive)
                try:
                    row: dict[str, Any] | None = receive.recv()
                except (EOFError, OSError):
                    row = None  # the process died before it could answer
                receive.close()
                process.join()
                rows.append(row if row is not None else
                            error_row(job[1], death_message(process.exitcode)))
                if bar is not None:
                    bar.update()
    finally:
        for process, _ in running.values():
            process.kill()
            process.join()
    return rows
