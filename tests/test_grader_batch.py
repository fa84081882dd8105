"""Grading a folder of submissions with two workers: per-submission outputs and a
gradebook with one row per submission, also for ones the grader rejects
(about 30 s: two worker processes, each starting its own sandboxes)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from test_grader_fixtures import (
    hidden_labels,
    reference_submission,
    stubbed,
    trained_project,
    variant_submission,
)

from autograder.cli.main import main as instructor_main
from autograder.grader.gradebook import columns
from autograder.grader.settings import load_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_project(tmp_path_factory.mktemp("grading"))


def test_grade_batch_with_two_workers(project: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    good = reference_submission(project, "milestone", tmp_path / "built")
    (folder / "ada.zip").write_bytes(good.read_bytes())
    variant_submission(good, folder / "bob.zip",
                       {"ner_helpers/trainer.py": stubbed("trainer.py")})
    (folder / "carol.zip").write_bytes(b"not a zip at all")
    out = tmp_path / "graded"
    (out).mkdir()
    (out / "gradebook.csv").write_text("an earlier gradebook\n")
    code = instructor_main(["grade-batch", str(folder), "--workers", "2", "--out", str(out),
                            "--kind", "milestone", "--hidden-labels",
                            str(hidden_labels(project)), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "3 submissions, 2 graded" in printed
    assert (out / "gradebook.prev-1.csv").read_text() == "an earlier gradebook\n"
    with open(out / "gradebook.csv", newline="") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
        handle.seek(0)
        assert next(csv.reader(handle)) == columns(load_settings())
    assert sorted(rows) == ["ada", "bob", "carol"]
    assert rows["ada"]["status"] == "graded" and float(rows["ada"]["score"]) == 40
    assert rows["ada"]["student_id"] == "s1234567" and rows["ada"]["name"] == "Ada Lovelace"
    assert float(rows["bob"]["score"]) == 25
    assert float(rows["bob"]["TODO-3-1"]) == 0 and float(rows["bob"]["TODO-1.2-1"]) == 11
    assert rows["bob"]["TODO-4-1"] == "" and rows["bob"]["ffnn_points"] == ""
    assert rows["carol"]["status"].startswith("rejected: carol.zip is not a readable zip file")
    assert float(rows["carol"]["score"]) == 0
    for name in ("ada", "bob", "carol"):
        results = json.loads((out / name / "results.json").read_text())
        assert results["score"] == float(rows[name]["score"])
        assert (out / name / "feedback.md").exists()
