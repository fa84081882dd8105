"""What can go wrong when student code runs, and how each case reads in feedback.

Every exception here carries ``student_message``: one sentence a student can
act on, without any grader source in it.
"""

from __future__ import annotations

from typing import Any

from ner_helpers.errors import KitError


class SandboxError(Exception):
    """Student code could not give an answer; the current test fails."""

    def __init__(self, student_message: str) -> None:
        super().__init__(student_message)
        self.student_message = student_message


class ChildFailure(SandboxError):
    """The child process died or was stopped during a call.

    ``kind`` is one of ``timeout``, ``output``, ``cpu``, ``memory``, ``crash``,
    ``exit`` or ``protocol``. The next call starts a fresh child.
    """

    def __init__(self, kind: str, student_message: str) -> None:
        super().__init__(student_message)
        self.kind = kind


class BudgetExhausted(SandboxError):
    """All calls of the submission together used up ``sandbox.submission_timeout_s``: this
    test and every later one fail at once (no child is started again)."""


class StudentError(SandboxError):
    """Student code raised an exception (the child itself is fine)."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        super().__init__(describe_error(info))


class GroupUnavailable(SandboxError):
    """A student file is missing, cannot be imported, or kept timing out."""


class SandboxStartError(KitError):
    """The child could not start at all: a problem of the grading machine, not of the
    submission (the grader stops instead of giving a score)."""


def describe_error(info: dict[str, Any]) -> str:
    """``ValueError: bad side (ner_helpers/tokenizer.py, line 40)`` from an error item."""
    kind = str(info.get("type", "Exception"))
    message = str(info.get("message", "")).strip()
    if kind == "MemoryError" and not message:
        message = "ran out of memory"
    text = f"{kind}: {message}" if message else kind
    where = info.get("where")
    return f"{text} ({where})" if where else text
