"""The one exception type for user mistakes.

Commands catch :class:`KitError` and print its message without a traceback:
it is raised for bad input (a malformed corpus line, a missing file, a wrong
setting), never for bugs in the kit itself.
"""

from __future__ import annotations

from pathlib import Path


class KitError(Exception):
    """A problem the user can fix; the message says what is wrong and where."""


def located(path: str | Path, line: int | None, problem: str) -> KitError:
    """Build a :class:`KitError` that names a file and (optionally) a 1-based line."""
    where = f"{path}:{line}" if line is not None else str(path)
    return KitError(f"{where}: {problem}")
