"""Which student file holds which TODO, read from the solution markers of the
reference package (so the mapping cannot drift from the code)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from autograder.release.markers import find_regions
from autograder.sandbox.stub_package import reference_package_dir
from ner_helpers.submission import student_files


@lru_cache(maxsize=4)
def _todo_files(package_dir: Path, files: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for name in files:
        path = package_dir / name
        for region in find_regions(path.read_text(encoding="utf-8"), str(path)):
            mapping.setdefault(region.todo, name)
    return mapping


def todo_files() -> dict[str, str]:
    """``{"TODO-1.1-1": "tokenizer.py", ...}`` for every TODO of the student files."""
    package = reference_package_dir()
    files = tuple(student_files("final", package))
    return dict(_todo_files(package, files))


def group_of(todo: str) -> str:
    """The group (file stem, e.g. ``"collator"``) of a TODO."""
    mapping = todo_files()
    if todo not in mapping:
        raise KeyError(f"{todo} is in no student file of the reference package")
    return Path(mapping[todo]).stem
