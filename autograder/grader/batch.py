"""Grading a folder of submissions in parallel.

Each zip file and each sub-folder of the input folder is one submission. Every
submission is graded in a worker process (its own sandboxed child under it),
its ``results.json`` and ``feedback.md`` go to ``OUT/<submission>/``, and
``OUT/gradebook.csv`` gets one row per submission, also for those the grader
could not grade.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from autograder.grader.engine import grade_submission, submission_name
from autograder.grader.gradebook import error_row, result_row, write_gradebook
from autograder.grader.outputs import write_outputs
from autograder.grader.settings import GradingSettings, load_settings
from ner_helpers.errors import KitError

GRADEBOOK_FILE = "gradebook.csv"


@dataclass(frozen=True)
class BatchReport:
    rows: list[dict[str, Any]]
    gradebook: Path
    out_dir: Path


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
    if result.internal_errors:
        row["status"] = "graded (with internal grader errors; see the log)"
    return row


def grade_batch(folder: str | Path, out_dir: str | Path, *, workers: int = 1,
                kind: str = "auto", settings: GradingSettings | None = None,
                hidden_labels: str | Path | None = None, test_split: str | Path | None = None,
                progress: bool = True) -> BatchReport:
    """Grade every submission of ``folder`` with ``workers`` processes; write the gradebook."""
    settings = settings or load_settings()
    folder, out_dir = Path(folder), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    submissions = find_submissions(folder, exclude=out_dir.resolve())
    if not submissions:
        raise KitError(f"{folder}: no submissions (zip files or folders) found")
    names = _output_names(submissions)
    labels = Path(hidden_labels) if hidden_labels else None
    split = Path(test_split) if test_split else None
    rows: list[dict[str, Any]] = []
    bar = tqdm(total=len(submissions), desc="grading", unit="submission", disable=not progress,
               dynamic_ncols=True)
    if workers <= 1:
        for path in submissions:
            rows.append(grade_one(path, names[path], out_dir, kind, settings, labels, split))
            bar.update()
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures: dict[Future, Path] = {
                pool.submit(grade_one, path, names[path], out_dir, kind, settings, labels, split):
                path for path in submissions}
            for future in as_completed(futures):
                path = futures[future]
                try:
                    rows.append(future.result())
                except Exception as exc:  # noqa: BLE001 (a worker died)
                    rows.append(error_row(names[path], f"the grading worker failed: {exc}"))
                bar.update()
    bar.close()
    gradebook = write_gradebook(rows, out_dir / GRADEBOOK_FILE, settings)
    return BatchReport(sorted(rows, key=lambda r: str(r["submission"])), gradebook, out_dir)
