"""From TODO files to ranked pairs: regions, fingerprints, comparisons."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from autograder.grader.class_settings import LeaderboardSettings
from autograder.grader.leaderboard import anonymous_id
from autograder.grader.safe_text import one_line
from autograder.similarity.compare import Author, PairResult, compare_authors
from autograder.similarity.fingerprints import boilerplate_hashes, fingerprint
from autograder.similarity.regions import TodoSpec, extract_regions, specs_by_file
from autograder.similarity.settings import SimilaritySettings
from autograder.similarity.sources import Skipped, SourceFiles

LABEL_CHARS = 80
#: Fewer authors are fingerprinted in this process: starting worker processes costs more.
POOL_MIN_AUTHORS = 40


@dataclass
class SimilarityResult:
    """Everything the report shows."""

    specs: list[TodoSpec]
    students: list[Author]
    known: list[Author]
    pairs: list[PairResult]
    #: ``(who, why)`` of each submission not compared, named as the students are.
    skipped: list[tuple[str, str]]
    settings: SimilaritySettings


def student_label(files: SourceFiles, naming: str, leaderboard: LeaderboardSettings) -> str:
    """How the report names a student: ID and name, or the leaderboard's anonymous id."""
    if naming == "leaderboard":
        return anonymous_id(files.student_id or files.key, leaderboard)
    name = one_line(files.name)[:LABEL_CHARS]
    ident = one_line(files.student_id or files.key)[:LABEL_CHARS]
    return f"{ident} ({name})" if name else ident


def build_author(files: SourceFiles, label: str, known: bool, specs: list[TodoSpec],
                 boilerplate: dict[str, np.ndarray], settings: SimilaritySettings) -> Author:
    """Extract and fingerprint every TODO region of one author's files."""
    author = Author(files.key, label, known, problems=list(files.problems),
                    source=files.source)
    for file, file_specs in specs_by_file(specs).items():
        text = files.texts.get(file)
        if text is None:
            continue
        found = extract_regions(text, file_specs, settings.max_region_lines)
        author.problems += [f"{file}: {problem}" for problem in found.problems]
        for todo, region in found.regions.items():
            author.regions[todo] = fingerprint(region.code, settings.k, settings.window,
                                               boilerplate[todo])
            author.regions[todo].extra["first_line"] = region.first_line
            author.regions[todo].extra["file"] = file
    return author


def todo_boilerplate(specs: list[TodoSpec], k: int) -> dict[str, np.ndarray]:
    """Per TODO, the k-gram hashes of the release's hint, stub and provided lines."""
    return {spec.todo: boilerplate_hashes([spec.boilerplate], k) for spec in specs}


#: The arguments of :func:`build_author` for one author.
Job = tuple[SourceFiles, str, bool, list[TodoSpec], dict[str, np.ndarray], SimilaritySettings]


def _build(job: Job) -> Author:
    return build_author(*job)


def build_authors(jobs: list[Job], workers: int, progress: bool) -> list[Author]:
    """:func:`build_author` of every job, in order, with ``workers`` processes (tokenizing
    is most of the work for a class; the processes only parse, never import, the code)."""
    bar = tqdm(total=len(jobs), desc="fingerprinting", unit="author", disable=not progress,
               dynamic_ncols=True, mininterval=0.5)
    if workers <= 1 or len(jobs) < POOL_MIN_AUTHORS:
        authors = []
        for job in jobs:
            authors.append(_build(job))
            bar.update()
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            authors = []
            for author in pool.map(_build, jobs, chunksize=max(1, len(jobs) // (8 * workers))):
                authors.append(author)
                bar.update()
    bar.close()
    return authors


def analyse(students: list[SourceFiles], known: list[SourceFiles], specs: list[TodoSpec],
            settings: SimilaritySettings, leaderboard: LeaderboardSettings,
            skipped: list[Skipped] | None = None,
            progress: bool = True, workers: int = 1) -> SimilarityResult:
    """Regions, fingerprints and every pair's scores, ranked."""
    boilerplate = todo_boilerplate(specs, settings.k)
    jobs: list[Job] = [(files, student_label(files, settings.naming, leaderboard), False, specs,
                        boilerplate, settings) for files in students]
    jobs += [(files, f"known: {one_line(files.source)[:LABEL_CHARS]}", True, specs,
              boilerplate, settings) for files in known]
    authors = build_authors(jobs, workers, progress)
    student_authors, known_authors = authors[:len(students)], authors[len(students):]
    pairs = compare_authors(student_authors, known_authors, [spec.todo for spec in specs],
                            settings.min_region_chars, settings.weak_todos, progress,
                            workers)
    return SimilarityResult(specs, student_authors, known_authors, pairs,
                            [skipped_row(item, settings.naming, leaderboard)
                             for item in skipped or []], settings)


def skipped_row(item: Skipped, naming: str, leaderboard: LeaderboardSettings) -> tuple[str, str]:
    """How the report lists a submission not compared: by file (and student ID), or, under
    the leaderboard's anonymous ids, by the student's id only (file names from an LMS
    hold names)."""
    if naming == "leaderboard":
        who = anonymous_id(item.student, leaderboard) if item.student else "a submission"
        return who, item.reason
    who = f"{item.source} ({item.student})" if item.student else item.source
    return who, item.reason
