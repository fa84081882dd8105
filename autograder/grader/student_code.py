"""The hidden tests' handle on a submission's code.

Every call names the student file (group) it exercises and goes to the
sandboxed child. A group is unavailable when its file is missing from the
submission, cannot be imported, or kept killing the child (time-outs,
crashes, exits); its remaining calls then fail at once with that reason, so a
hanging file does not cost minutes of waiting (or a child restart) per test.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from autograder.grader.settings import SandboxLimits
from autograder.sandbox.client import SandboxClient
from autograder.sandbox.failures import ChildFailure, GroupUnavailable, StudentError

#: The modules each group imports before its tests run.
GROUP_MODULES = {"full": ["tokenizer", "collator", "embedding", "ffnn", "rnn", "model_config",
                          "predictor"]}


class StudentCode:
    """Calls into the submission, by group (the stem of a student file)."""

    def __init__(self, client: SandboxClient, limits: SandboxLimits) -> None:
        self.client = client
        self.limits = limits
        self.unavailable: dict[str, str] = {}
        self.failures: Counter[str] = Counter()
        self.prepared: set[str] = set()

    def mark_missing(self, group: str, message: str) -> None:
        self.unavailable[group] = message

    def prepare(self, group: str) -> None:
        """Import the group's modules (done by the first call of the group), so an import
        failure is reported once and costs one time limit at most."""
        if group in self.unavailable:
            return
        modules = GROUP_MODULES.get(group, [group])
        try:
            self.client.call("import_modules", group, {"modules": modules},
                             self.limits.import_timeout_s)
        except StudentError as error:
            self.unavailable[group] = (f"ner_helpers/{group}.py could not be imported: "
                                       f"{error.student_message}" if group != "full" else
                                       f"your package could not be imported: "
                                       f"{error.student_message}")
        except ChildFailure as failure:
            self.unavailable[group] = (f"importing ner_helpers/{group}.py failed: "
                                       f"{failure.student_message}")

    def call(self, group: str, op: str, *, timeout: float | None = None, **args: Any) -> Any:
        """Run one operation of the child in ``group``'s package (see
        :mod:`autograder.sandbox.child.ops`)."""
        if group not in self.prepared:
            self.prepared.add(group)
            self.prepare(group)
        if group in self.unavailable:
            raise GroupUnavailable(self.unavailable[group])
        try:
            return self.client.call(op, group, args, timeout or self.limits.call_timeout_s)
        except ChildFailure as failure:
            self.failures[group] += 1
            if self.failures[group] >= self.limits.max_failures_per_group:
                what = ("ran out of time" if failure.kind == "timeout"
                        else "stopped the grading process")
                self.unavailable[group] = (
                    f"not run: ner_helpers/{group}.py {what} in {self.failures[group]} earlier "
                    f"tests (last: {failure.student_message})")
            raise
