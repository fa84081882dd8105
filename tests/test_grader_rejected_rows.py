"""A submission rejected before its kind is known: its gradebook row and feedback
(a few seconds: the zip is refused while unpacking, no sandbox starts)."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.grader.batch import grade_one
from autograder.grader.gradebook import UNKNOWN_KIND
from autograder.grader.settings import load_settings

SETTINGS = load_settings()


def not_a_zip(tmp_path: Path) -> Path:
    path = tmp_path / "milestone-001.zip"
    path.write_bytes(b"this is not a zip archive\n" * 4)
    return path


def test_a_rejected_zip_of_unknown_kind_gets_no_todo_points(tmp_path: Path) -> None:
    """A milestone batch graded with kind auto: the unreadable zip's kind is unknown, so
    its row is no `final` row with 0.0 in every TODO column."""
    row = grade_one(not_a_zip(tmp_path), "broken", tmp_path / "out", "auto", SETTINGS,
                    None, None)
    assert row["status"].startswith("rejected: ")
    assert row["kind"] == UNKNOWN_KIND and row["max_score"] == ""
    graded_columns = [*SETTINGS.todos, *(f"{m}_points" for m in SETTINGS.models)]
    assert not [column for column in graded_columns if column in row], row


def test_a_rejected_zip_of_a_requested_kind_keeps_that_kind(tmp_path: Path) -> None:
    row = grade_one(not_a_zip(tmp_path), "broken", tmp_path / "out", "milestone", SETTINGS,
                    None, None)
    assert row["kind"] == "milestone"
    assert row["max_score"] == SETTINGS.max_score("milestone")
    assert not [todo for todo in SETTINGS.todos if todo in row]


def test_feedback_says_the_written_answers_are_graded_by_hand(tmp_path: Path) -> None:
    grade_one(not_a_zip(tmp_path), "broken", tmp_path / "out", "milestone", SETTINGS,
              None, None)
    feedback = (tmp_path / "out" / "broken" / "feedback.md").read_text()
    assert "Score: 0 / 40 autograded; the written answers in your notebook are graded by " \
           "hand" in feedback
    results = json.loads((tmp_path / "out" / "broken" / "results.json").read_text())
    assert "written answers in your notebook are graded by hand" in results["output"]
