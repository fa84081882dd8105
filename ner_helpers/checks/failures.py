"""What a failed public check raises, and how a notebook shows it.

Every failure is an :class:`AssertionError` subclass, so an nbgrader test cell
that calls a check fails when the check fails. In Jupyter the error is shown as
a few lines (the TODO, what is wrong, and the lines of your own code that
raised, if any) instead of a long traceback through the checking code.
"""

from __future__ import annotations

import traceback
from pathlib import Path

#: Files under this folder are the checks themselves; their frames are not shown.
CHECKS_DIR = Path(__file__).resolve().parent
#: Frames in these files are shown when student code raises an unexpected error.
PACKAGE_DIR = CHECKS_DIR.parent
#: At most this many frames of the student's own code are shown.
MAX_FRAMES = 4


class CheckFailed(AssertionError):
    """A public check found a problem in a TODO.

    Attributes:
        todo: the TODO number, e.g. ``"1.2-1"``.
        problem: what is wrong, without the TODO prefix.
        cause: the unexpected exception raised by the student's code, if any.
    """

    def __init__(self, todo: str, problem: str, cause: BaseException | None = None) -> None:
        super().__init__(f"TODO-{todo}: {problem}")
        self.todo = todo
        self.problem = problem
        self.cause = cause

    def _render_traceback_(self) -> list[str]:
        """Called by IPython instead of printing the full traceback."""
        return self.report_lines()

    def report_lines(self) -> list[str]:
        """The failure as short lines: a FAIL line and the student's frames, if any."""
        lines = [f"FAIL {self}"]
        if self.cause is not None:
            lines.extend(student_frames(self.cause))
        return lines


class NotImplementedYet(CheckFailed):
    """The TODO (or one it relies on) still raises ``NotImplementedError``."""

    def report_lines(self) -> list[str]:
        return [f"{self}"]


class UnknownTodo(ValueError):
    """``check()`` was given a TODO number that does not exist."""


def student_frames(error: BaseException) -> list[str]:
    """Where in the package (outside the checks) ``error`` was raised, newest last."""
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(PACKAGE_DIR) and not path.is_relative_to(CHECKS_DIR):
            where = path.relative_to(PACKAGE_DIR.parent)
            frames.append(f"  {where}, line {frame.lineno}, in {frame.name}: {frame.line}")
    return frames[-MAX_FRAMES:]
