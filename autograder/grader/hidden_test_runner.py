"""Running the hidden tests with pytest, inside the grader's own process.

pytest collects ``autograder/hidden_tests/``, keeps the tests of the TODOs
being graded, and runs them with the fixture ``student``. A plugin records
each test's outcome; pytest itself prints nothing. What a student sees is only
the message of a :class:`~autograder.hidden_tests.support.Failure` or of a
sandbox failure, never a traceback or a line of test source. Any other
exception is a grader problem: the test fails with a neutral message and the
details go to :attr:`HiddenTestRun.internal_errors` for the instructor.
"""

from __future__ import annotations

import os
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import autograder.hidden_tests
from autograder.grader.porting_hints import with_porting_hint
from autograder.grader.settings import GradingSettings
from autograder.hidden_tests.support import Failure
from autograder.sandbox.failures import SandboxError
from ner_helpers.errors import KitError

INTERNAL_MESSAGE = ("the grader could not complete this test (an internal problem, not your "
                    "code); please tell the course staff")
PYTEST_ARGS = ["-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:xdist",
               "-p", "no:randomly", "--import-mode=importlib", "-o", "addopts=",
               "--capture=no", "-W", "ignore"]
ISOLATED_ENVIRONMENT = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")


@dataclass(frozen=True)
class TestOutcome:
    """One hidden test's result (points are assigned by the caller)."""

    __test__ = False  # not a pytest test class

    todo: str
    name: str
    passed: bool
    message: str


@dataclass
class HiddenTestRun:
    outcomes: dict[tuple[str, str], TestOutcome] = field(default_factory=dict)
    internal_errors: list[str] = field(default_factory=list)


def hidden_tests_dir() -> Path:
    return Path(next(iter(autograder.hidden_tests.__path__))).resolve()


def hidden_test_key(item: pytest.Item) -> tuple[str, str] | None:
    marker = item.get_closest_marker("todo")
    if marker is None or not marker.args:
        return None
    name = getattr(item, "originalname", item.name)
    return str(marker.args[0]), name.removeprefix("test_")


class _GradingPlugin:
    def __init__(self, student: Any, todos: list[str], order: list[tuple[str, str]]) -> None:
        self._student = student
        self.todos = set(todos)
        self.order = {key: index for index, key in enumerate(order)}
        self.collected: dict[tuple[str, str], str] = {}
        self.problems: list[str] = []
        self.run = HiddenTestRun()

    @pytest.fixture(scope="session")
    def student(self) -> Any:
        return self._student

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "todo(number): the TODO a hidden test grades")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.problems.append(f"{report.nodeid}: could not be collected:\n"
                                 f"{report.longreprtext}")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        kept = []
        for item in items:
            key = hidden_test_key(item)
            if key is None:
                self.problems.append(f"{item.nodeid} has no @pytest.mark.todo(...) marker")
                continue
            if key in self.collected:
                self.problems.append(f"{item.nodeid}: {key[0]} already has a test named "
                                     f"{key[1]!r}")
                continue
            self.collected[key] = item.nodeid
            if key[0] in self.todos:
                kept.append(item)
        kept.sort(key=lambda item: (self.order.get(hidden_test_key(item), len(self.order)),
                                    item.nodeid))
        items[:] = kept

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> None:
        key = hidden_test_key(item)
        if key is None:
            return
        outcomes = self.run.outcomes
        if call.excinfo is None:
            if call.when == "call" and key not in outcomes:
                outcomes[key] = TestOutcome(*key, passed=True, message="")
            return
        if key in outcomes and not outcomes[key].passed:
            return
        error = call.excinfo.value
        if isinstance(error, Failure):
            message = with_porting_hint(str(error))
        elif isinstance(error, SandboxError):
            message = with_porting_hint(error.student_message)
        else:
            message = INTERNAL_MESSAGE
            details = "".join(traceback.format_exception(error))
            self.run.internal_errors.append(f"{item.nodeid} ({call.when}):\n{details}")
        outcomes[key] = TestOutcome(*key, passed=False, message=message)


@contextmanager
def _isolated_environment():
    saved = {name: os.environ.pop(name) for name in ISOLATED_ENVIRONMENT if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def run_hidden_tests(student: Any, settings: GradingSettings, todos: list[str],
                     tests_dir: Path | None = None) -> HiddenTestRun:
    """Run the hidden tests of ``todos``; every configured test gets an outcome.

    Raises:
        KitError: a hidden test file cannot be collected, or the tests and
            ``grading.yaml`` do not name the same tests.
    """
    order = [(todo, name) for todo in todos for name in settings.todos[todo].tests]
    plugin = _GradingPlugin(student, todos, order)
    folder = tests_dir or hidden_tests_dir()
    with _isolated_environment():
        pytest.main([*PYTEST_ARGS, "--rootdir", str(folder), str(folder)], plugins=[plugin])
    problems = list(plugin.problems)
    configured = {(todo, name) for todo, entry in settings.todos.items() for name in entry.tests}
    for todo, name in sorted(configured - set(plugin.collected)):
        problems.append(f"{settings.source}: {todo} lists a test {name!r} that "
                        "autograder/hidden_tests/ does not have")
    for todo, name in sorted(set(plugin.collected) - configured):
        problems.append(f"hidden test {plugin.collected[(todo, name)]} ({todo}, {name!r}) has "
                        f"no points in {settings.source}")
    if problems:
        raise KitError("the hidden tests cannot run:\n" + "\n".join(problems))
    run = plugin.run
    for todo in todos:
        for name in settings.todos[todo].tests:
            if (todo, name) not in run.outcomes:
                run.outcomes[(todo, name)] = TestOutcome(todo, name, False, INTERNAL_MESSAGE)
                run.internal_errors.append(f"{todo} {name}: no outcome was recorded")
    return run
