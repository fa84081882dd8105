"""Solution regions in the helper package and how the release replaces them.

In the instructor's source, each TODO looks like this::

    # TODO-1.1-1 hint: split strings on whitespace, ...
    # ... (more hint lines)
    ### BEGIN SOLUTION
    <reference code>
    ### END SOLUTION

The release keeps the hint comment and replaces the region by a
``raise NotImplementedError("TODO-1.1-1: ...")`` at the same indentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
TODO_PATTERN = re.compile(r"#\s*(TODO-\d+(?:\.\d+)?-\d+)\b")


class MarkerError(ValueError):
    """A solution region is malformed (unclosed, nested, or without a TODO number)."""


@dataclass(frozen=True)
class SolutionRegion:
    """One solution region: its TODO number and 0-based line span (markers included)."""

    todo: str
    begin_line: int
    end_line: int
    indent: str


def find_regions(source: str, where: str = "<source>") -> list[SolutionRegion]:
    """All solution regions of ``source``, each tied to the nearest TODO number above it."""
    regions: list[SolutionRegion] = []
    lines = source.splitlines()
    last_todo: str | None = None
    open_at: int | None = None
    for number, line in enumerate(lines):
        stripped = line.strip()
        match = TODO_PATTERN.search(line)
        if match and open_at is None:
            last_todo = match.group(1)
        if stripped == BEGIN:
            if open_at is not None:
                raise MarkerError(f"{where}:{number + 1}: nested {BEGIN}")
            if last_todo is None:
                raise MarkerError(f"{where}:{number + 1}: {BEGIN} without a TODO number above it")
            open_at = number
        elif stripped == END:
            if open_at is None:
                raise MarkerError(f"{where}:{number + 1}: {END} without {BEGIN}")
            indent = lines[open_at][: len(lines[open_at]) - len(lines[open_at].lstrip())]
            regions.append(SolutionRegion(last_todo, open_at, number, indent))
            open_at, last_todo = None, None
    if open_at is not None:
        raise MarkerError(f"{where}:{open_at + 1}: {BEGIN} is never closed")
    return regions


def stub_line(todo: str, indent: str) -> str:
    return (f'{indent}raise NotImplementedError("{todo}: not implemented yet '
            f'(see the hint above and the notebook section {todo.split("-")[1]})")')


def strip_solutions(source: str, where: str = "<source>") -> str:
    """``source`` with every solution region replaced by its TODO's stub."""
    regions = find_regions(source, where)
    if not regions:
        return source
    lines = source.splitlines()
    out: list[str] = []
    cursor = 0
    for region in regions:
        out.extend(lines[cursor:region.begin_line])
        out.append(stub_line(region.todo, region.indent))
        cursor = region.end_line + 1
    out.extend(lines[cursor:])
    return "\n".join(out) + ("\n" if source.endswith("\n") else "")


def solution_lines(source: str, where: str = "<source>") -> list[str]:
    """The code lines inside solution regions (stripped, blank lines and comments left
    out): what the leak check looks for in a release."""
    lines = source.splitlines()
    found = []
    for region in find_regions(source, where):
        for line in lines[region.begin_line + 1:region.end_line]:
            text = line.strip()
            if text and not text.startswith("#"):
                found.append(text)
    return found
