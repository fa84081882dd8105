"""Running public checks: one TODO, several, or all of them.

``check("1.2-1")`` prints a PASS line or raises :class:`CheckFailed` (an
``AssertionError``) whose message names the TODO and what is wrong. A TODO that
still raises ``NotImplementedError`` gives "TODO-x: not implemented yet".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import torch

from ner_helpers.checks.expect import Expect
from ner_helpers.checks.failures import CheckFailed, NotImplementedYet, UnknownTodo
from ner_helpers.checks.todos import TODOS, Todo

STUB_TODO = re.compile(r"TODO-(\d+(?:\.\d+)?-\d+)")
#: Every check runs with this seed, inside its own random state.
CHECK_SEED = 0


@dataclass
class CheckResult:
    """The outcome of one TODO's check: ``failure`` is None when it passed."""

    todo: Todo
    passed_assertions: int
    failure: CheckFailed | None

    @property
    def passed(self) -> bool:
        return self.failure is None

    def line(self) -> str:
        """One line for a summary: PASS, FAIL or not implemented."""
        if self.failure is None:
            return f"PASS {self.todo.label}: {self.passed_assertions} checks passed"
        if isinstance(self.failure, NotImplementedYet):
            return str(self.failure)
        return f"FAIL {self.failure}"


def normalise_number(name: str) -> str:
    """``"TODO-1.1-1"``, ``"todo-1.1-1"`` and ``"1.1-1"`` all give ``"1.1-1"``."""
    number = name.strip()
    if number.upper().startswith("TODO-"):
        number = number[len("TODO-"):]
    if number not in TODOS:
        known = ", ".join(TODOS)
        raise UnknownTodo(f"unknown TODO {name!r}; the TODOs are {known}")
    return number


def run_check(number: str) -> CheckResult:
    """Run one TODO's check and return its result.

    When the check fails and a TODO it relies on does not pass either, the
    failure names that TODO instead: fix it first.
    """
    todo = TODOS[normalise_number(number)]
    result = run_own_check(todo)
    if result.failure is None or isinstance(result.failure, NotImplementedYet):
        return result
    for required in todo.requires:
        before = run_check(required)
        if before.failure is not None:
            problem = f"cannot be checked until TODO-{required} passes ({before.failure})"
            return CheckResult(todo, 0, CheckFailed(todo.number, problem))
    return result


def run_own_check(todo: Todo) -> CheckResult:
    """Run the check of ``todo`` alone, with a fixed seed and its own random state."""
    expect = Expect(todo.number)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(CHECK_SEED)
        try:
            todo.check(expect)
        except CheckFailed as failure:
            return CheckResult(todo, expect.passed, failure)
        except NotImplementedError as error:
            return CheckResult(todo, expect.passed, not_implemented(todo, error))
        except Exception as error:  # the student's code raised: report it, do not crash
            problem = f"{type(error).__name__}: {error}"
            if expect.current_step:
                problem += f" (while checking {expect.current_step})"
            return CheckResult(todo, expect.passed, CheckFailed(todo.number, problem, error))
    return CheckResult(todo, expect.passed, None)


def not_implemented(todo: Todo, error: NotImplementedError) -> NotImplementedYet:
    """The failure for a stub: this TODO's own, or one it calls into."""
    match = STUB_TODO.search(str(error))
    if match is None or match.group(1) == todo.number:
        return NotImplementedYet(todo.number, f"not implemented yet ({todo.title} in "
                                              f"{todo.file})")
    other = match.group(1)
    return NotImplementedYet(todo.number, f"cannot be checked until TODO-{other} is "
                                          "implemented (it raises NotImplementedError)")


def check(*numbers: str) -> None:
    """Check the given TODOs, e.g. ``check("1.1-1")`` or ``check("4-1", "4-2")``.

    Prints one PASS line per TODO that passes; raises :class:`CheckFailed` for
    the first that does not.
    """
    if not numbers:
        raise UnknownTodo("name a TODO, e.g. check('1.1-1'), or use check_all()")
    for number in numbers:
        result = run_check(number)
        if result.failure is not None:
            raise result.failure.with_traceback(None)
        print(result.line())


def check_all(numbers: Iterable[str] | None = None) -> list[CheckResult]:
    """Check every TODO (or the given ones), print a line for each, and raise
    :class:`CheckFailed` at the end if any did not pass."""
    selected = [normalise_number(n) for n in numbers] if numbers is not None else list(TODOS)
    results = [run_check(number) for number in selected]
    for result in results:
        print(result.line())
    failed = [result.todo.number for result in results if not result.passed]
    if failed:
        names = ", ".join(f"TODO-{number}" for number in failed)
        raise CheckFailed(failed[0], f"{len(failed)} of {len(results)} TODOs do not pass yet: "
                                     f"{names}").with_traceback(None)
    print(f"all {len(results)} TODOs pass their public checks")
    return results
