"""The numbered TODOs of the helper package, read from its solution markers.

Each TODO is found where its solution region is, with the function or method
that holds it (``Tokenizer.tokenize``), so the student README lists exactly
what the release asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from autograder.release.markers import find_regions
from autograder.release.sections import off_section_of_path
from autograder.release.settings import ReleaseSettings
from autograder.release.tree_walk import walk_files

DEF_PATTERN = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")
CLASS_PATTERN = re.compile(r"^(\s*)class\s+(\w+)")


@dataclass(frozen=True)
class TodoEntry:
    """One TODO: ``number`` ("1.1-1"), package ``file``, ``where`` (Class.method), section."""

    number: str
    file: str
    where: str
    section: str

    @property
    def group(self) -> str:
        """The section part of the number: ``"1.1"`` for ``"1.1-1"``."""
        return self.number.rsplit("-", 1)[0]


def enclosing_name(lines: list[str], line: int) -> str:
    """``Class.method`` (or ``function``) around 0-based ``line``; ``"module level"`` else."""
    names: list[str] = []
    limit: int | None = None
    for text in reversed(lines[:line]):
        match = DEF_PATTERN.match(text) or CLASS_PATTERN.match(text)
        if match is None:
            continue
        indent = len(match.group(1))
        if limit is None or indent < limit:
            names.append(match.group(2))
            limit = indent
        if indent == 0:
            break
    return ".".join(reversed(names)) or "module level"


def _sort_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[.-]", number))


def find_todos(root: Path, settings: ReleaseSettings) -> list[TodoEntry]:
    """Every TODO of the package at ``root``, in number order."""
    package_dir = root / settings.package
    found: list[TodoEntry] = []
    for path in walk_files(package_dir, settings.skip):
        if path.suffix != ".py":
            continue
        rel = path.relative_to(root).as_posix()
        if off_section_of_path(rel, settings.package, settings.optional_sections):
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for region in find_regions(text, rel):
            number = region.todo.removeprefix("TODO-")
            group = number.rsplit("-", 1)[0]
            found.append(TodoEntry(number, rel, enclosing_name(lines, region.begin_line),
                                   settings.sections.get(group, group)))
    return sorted(found, key=lambda todo: _sort_key(todo.number))
