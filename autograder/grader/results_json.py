"""Gradescope's ``results.json`` from a grading result.

Layout (Gradescope autograder specification): top-level ``score``,
``output`` (a summary), ``visibility`` and ``stdout_visibility``, and
``tests``: one entry per hidden test and per performance item, each with
``name``, ``score``, ``max_score``, ``status`` (passed or failed), ``output``
(the feedback message) and ``visibility``. Keys are sorted and nothing in it
depends on time, so grading twice writes the same bytes.

When grading.yaml enables the leaderboard, ``leaderboard`` holds Gradescope's
list of ``name``, ``value`` and ``order`` per model
(:mod:`autograder.grader.leaderboard`).
"""

from __future__ import annotations

import json
from typing import Any

from autograder.grader.leaderboard import results_entries
from autograder.grader.result import GradingResult
from autograder.grader.safe_text import clean_cut, clean_text, one_line
from autograder.grader.settings import ResultSettings

#: What a student reads when the grader failed on their submission.
GRADER_FAULT = ("The grader failed on this submission: a problem on the grading side, not in "
                "your submission. Please tell the course staff.")
#: What a student reads when the submission itself could not be graded.
SUBMISSION_FAULT = "The submission was rejected because of a problem in it"


def test_title(todo: str, todo_title: str, name: str) -> str:
    return f"{todo} {todo_title}: {name.replace('_', ' ')}"


#: Said after the score: the written answers are graded apart from these points.
HAND_GRADED_LINE = ("These points are autograded; the written answers in your notebook are "
                    "graded by hand, and their points come separately.")


def summary_text(result: GradingResult) -> str:
    """A plain-text summary (Gradescope's top-level output and the commands' terminal
    output); every student-derived part is cleaned to one line."""
    who = ""
    if result.identity:
        who = (f" ({one_line(result.identity.get('name', ''))}, "
               f"{one_line(result.identity.get('student_id', ''))})")
    lines = [f"{one_line(result.kind).capitalize()} submission {one_line(result.submission)}"
             f"{who}: {result.score:g} / {result.max_score:g} points.", HAND_GRADED_LINE]
    if result.grader_error:
        lines.append(GRADER_FAULT)
    if result.rejected:
        lines.append(f"{SUBMISSION_FAULT}: {one_line(result.rejected)}")
    for todo, (points, maximum) in result.todo_points().items():
        lines.append(f"{todo}: {points:g} / {maximum:g}")
    for item in result.performance:
        lines.append(f"{item.title}: {item.points:g} / {item.max_points:g}")
    lines += [f"Note: {one_line(note)}" for note in result.notes]
    if result.notebook is not None:
        lines.append(f"Notebook run from top to bottom: {one_line(result.notebook.run_order)}; "
                     f"collaboration statement: {one_line(result.notebook.statement)}")
    return "\n".join(lines)


def results_json(result: GradingResult, settings: ResultSettings) -> dict[str, Any]:
    tests = []
    for test in result.tests:
        tests.append({
            "name": test_title(test.todo, test.todo_title, test.name),
            "score": test.points,
            "max_score": test.max_points,
            "status": "passed" if test.passed else "failed",
            "output": "passed" if test.passed else clean_cut(test.message,
                                                             settings.message_chars),
            "visibility": settings.visibility,
            "tags": [test.todo],
        })
    for item in result.performance:
        output = clean_text(item.message) + "".join(f"\nNote: {one_line(note)}"
                                                    for note in item.notes)
        tests.append({
            "name": f"Performance: {item.title}",
            "score": item.points,
            "max_score": item.max_points,
            "status": "passed" if item.points >= item.max_points else "failed",
            "output": output,
            "visibility": settings.visibility,
            "tags": ["performance", item.model],
        })
    data = {
        "score": result.score,
        "output": summary_text(result),
        "visibility": settings.visibility,
        "stdout_visibility": settings.stdout_visibility,
        "tests": tests,
    }
    leaderboard = results_entries(result, settings.leaderboard)
    if leaderboard:
        data["leaderboard"] = leaderboard
    return data


def render(result: GradingResult, settings: ResultSettings) -> str:
    return json.dumps(results_json(result, settings), indent=2, sort_keys=True,
                      ensure_ascii=False) + "\n"
