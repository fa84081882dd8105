"""The result of grading one submission.

:class:`GradingResult` is what :func:`autograder.grader.grade_submission`
returns and what every output (results.json, feedback.md, the gradebook) is
written from. ``to_dict()`` gives the same data as plain JSON, with points
rounded; it holds no timestamps, timings or machine details, so grading the
same submission twice gives the same dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.grader.notebook_findings import NotebookFindings


@dataclass(frozen=True)
class TestResult:
    """One hidden test."""

    __test__ = False  # not a pytest test class

    todo: str
    todo_title: str
    name: str
    points: float
    max_points: float
    passed: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"todo": self.todo, "todo_title": self.todo_title, "name": self.name,
                "points": self.points, "max_points": self.max_points, "passed": self.passed,
                "message": self.message}


@dataclass(frozen=True)
class PerformanceResult:
    """The test-set score of one submitted model."""

    model: str
    title: str
    f1: float | None
    baseline: float
    points: float
    max_points: float
    message: str
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "title": self.title,
                "f1": None if self.f1 is None else round(self.f1, 4), "baseline": self.baseline,
                "points": self.points, "max_points": self.max_points, "message": self.message,
                "notes": list(self.notes)}


@dataclass
class GradingResult:
    """Everything known about one graded submission.

    ``internal_errors`` (grader problems, for the instructor) and
    ``protections`` (the sandbox protections that were active) are kept out of
    :meth:`to_dict` and of every file a student sees. ``grader_error`` is set
    when the grader itself failed on the submission (every test then scores 0
    with a message saying so); ``rejected`` when the submission could not be
    graded because of a problem in it.
    """

    submission: str
    kind: str
    identity: dict[str, str] | None
    tests: list[TestResult] = field(default_factory=list)
    performance: list[PerformanceResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected: str | None = None
    grader_error: str | None = None
    decimals: int = 2
    internal_errors: list[str] = field(default_factory=list)
    protections: list[str] = field(default_factory=list)
    #: False for a submission rejected before its kind could be read (``kind`` is then
    #: only the fallback used to lay out its zero scores).
    kind_known: bool = True
    #: The notebook's run order and collaboration statement (None: not read).
    notebook: NotebookFindings | None = None
    #: Model TODOs marked "needs review" (:class:`autograder.grader.layer_review.ReviewFinding`).
    reviews: list[Any] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(t.points for t in self.tests)
                     + sum(p.points for p in self.performance), self.decimals)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_points for t in self.tests)
                     + sum(p.max_points for p in self.performance), self.decimals)

    @property
    def tests_score(self) -> float:
        return round(sum(t.points for t in self.tests), self.decimals)

    def todo_points(self) -> dict[str, tuple[float, float]]:
        """``{todo: (points, max_points)}`` in grading order."""
        totals: dict[str, tuple[float, float]] = {}
        for test in self.tests:
            points, maximum = totals.get(test.todo, (0.0, 0.0))
            totals[test.todo] = (points + test.points, maximum + test.max_points)
        return {todo: (round(p, self.decimals), round(m, self.decimals))
                for todo, (p, m) in totals.items()}

    def performance_points(self) -> dict[str, tuple[float, float]]:
        return {p.model: (p.points, p.max_points) for p in self.performance}

    def to_dict(self) -> dict[str, Any]:
        return {
            "submission": self.submission,
            "kind": self.kind,
            "identity": self.identity,
            "score": self.score,
            "max_score": self.max_score,
            "rejected": self.rejected,
            "grader_error": self.grader_error,
            "notes": list(self.notes),
            "todos": {todo: {"points": p, "max_points": m}
                      for todo, (p, m) in self.todo_points().items()},
            "tests": [test.to_dict() for test in self.tests],
            "performance": [item.to_dict() for item in self.performance],
            "notebook": None if self.notebook is None else {
                "run_order": self.notebook.run_order,
                "run_order_message": self.notebook.run_order_message,
                "collaboration_statement": self.notebook.statement},
            "needs_review": [item.to_dict() for item in self.reviews],
        }
