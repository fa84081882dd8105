"""From TODO files to ranked pairs: regions, fingerprints, comparisons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.grader.class_settings import LeaderboardSettings
from autograder.grader.leaderboard import anonymous_id
from autograder.grader.safe_text import one_line
from autograder.similarity.compare import Author, PairResult, compare_authors
from autograder.similarity.fingerprints import boilerplate_hashes, fingerprint
from autograder.similarity.regions import TodoSpec, extract_regions, specs_by_file
from autograder.similarity.settings import SimilaritySettings
from autograder.similarity.sources import SourceFiles

LABEL_CHARS = 80


@dataclass
class SimilarityResult:
    """Everything the report shows."""

    specs: list[TodoSpec]
    students: list[Author]
    known: list[Author]
    pairs: list[PairResult]
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


def analyse(students: list[SourceFiles], known: list[SourceFiles], specs: list[TodoSpec],
            settings: SimilaritySettings, leaderboard: LeaderboardSettings,
            skipped: list[tuple[str, str]] | None = None,
            progress: bool = True) -> SimilarityResult:
    """Regions, fingerprints and every pair's scores, ranked."""
    boilerplate = todo_boilerplate(specs, settings.k)
    student_authors = [build_author(files, student_label(files, settings.naming, leaderboard),
                                    False, specs, boilerplate, settings)
                       for files in students]
    known_authors = [build_author(files, f"known: {one_line(files.source)[:LABEL_CHARS]}",
                                  True, specs, boilerplate, settings) for files in known]
    pairs = compare_authors(student_authors, known_authors, [spec.todo for spec in specs],
                            settings.min_region_chars, settings.weak_todos, progress)
    return SimilarityResult(specs, student_authors, known_authors, pairs, list(skipped or []),
                            settings)
