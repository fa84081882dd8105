"""Grading a folder of submissions with two workers: per-submission outputs and a
gradebook with one row per submission, also for ones the grader rejects, and
also when one submission kills its grading worker (about 30 s per batch: two
worker processes, each starting its own sandboxes)."""

from __future__ import annotations

import csv
import json
import os
import signal
import zipfile
from pathlib import Path

import pytest
from test_class_report import leaderboard_on
from test_grader_fixtures import (
    hidden_labels,
    reference_submission,
    stubbed,
    trained_project,
    variant_submission,
)

from autograder.cli.main import main as instructor_main
from autograder.grader import batch
from autograder.grader.batch import death_message, grade_batch
from autograder.grader.gradebook import columns
from autograder.grader.settings import load_settings

pytestmark = pytest.mark.slow

#: The submission whose grading kills its worker process.
KILLER = "a-killer"


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


def grade_one_or_die(*job: object) -> dict:
    """The batch's worker, except that grading ``KILLER`` kills the worker process with
    SIGKILL, as the kernel's out-of-memory killer does (runs in the spawned workers,
    which import this module)."""
    if job[1] == KILLER:
        os.kill(os.getpid(), signal.SIGKILL)
    return batch.grade_one(*job)


def test_a_worker_killed_by_one_submission_costs_only_that_submission(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The killer comes first, so its death breaks the pool while the others are still
    running or waiting; they are graded again alone and get their normal rows."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    good = reference_submission(project, "milestone", tmp_path / "built")
    (folder / f"{KILLER}.zip").write_bytes(good.read_bytes())
    (folder / "ada.zip").write_bytes(good.read_bytes())
    variant_submission(good, folder / "bob.zip",
                       {"ner_helpers/trainer.py": stubbed("trainer.py")})
    (folder / "carol.zip").write_bytes(b"not a zip at all")
    monkeypatch.setattr(batch, "grade_one", grade_one_or_die)
    out = tmp_path / "graded"
    report = grade_batch(folder, out, workers=2, kind="milestone",
                         hidden_labels=hidden_labels(project), progress=False)

    rows = {row["submission"]: row for row in report.rows}
    assert [row["submission"] for row in report.rows] == [KILLER, "ada", "bob", "carol"]
    assert rows[KILLER]["status"] == f"error: {death_message(-signal.SIGKILL)}"
    assert "killed (SIGKILL)" in rows[KILLER]["status"]
    assert rows["ada"]["status"] == "graded" and rows["ada"]["score"] == 40
    assert rows["bob"]["status"] == "graded" and rows["bob"]["score"] == 25
    assert rows["carol"]["status"].startswith("rejected: carol.zip is not a readable zip")
    with open(report.gradebook, newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [row["submission"] for row in written] == [KILLER, "ada", "bob", "carol"]
    assert written[0]["score"] == "" and written[0]["status"].startswith("error: ")
    for name in ("ada", "bob", "carol"):
        results = json.loads((out / name / "results.json").read_text())
        assert results["score"] == float(rows[name]["score"])
    assert not (out / KILLER / "results.json").exists()


def test_death_messages_say_how_the_grading_process_ended() -> None:
    assert "most likely by the kernel for using more memory" in death_message(-signal.SIGKILL)
    assert "died (SIGSEGV)" in death_message(-signal.SIGSEGV)
    assert "exit code 3 and no result" in death_message(3)


# ---------------------------------------------------------------------- shards
def test_three_shards_merge_into_the_files_of_one_run(project: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """One run and three shards of the same folder, both with the late policy and a
    ledger: the merged gradebook, class report, leaderboard, ledger and feedback are
    byte for byte the single run's; a merge that misses a shard names it and writes
    nothing. Final submissions with models, so the leaderboard compared has rows."""
    folder = tmp_path / "hw1"
    folder.mkdir()
    good = reference_submission(project, "final", tmp_path / "built")
    (folder / "ada.zip").write_bytes(good.read_bytes())
    # Rejected without running anything: a zip with another student's identity and no files.
    variant_submission(good, folder / "bob.zip",
                       {name: None for name in zipfile.ZipFile(good).namelist()} |
                       {"identity.json": json.dumps({"student_id": "s7654321",
                                                     "name": "Bob Babbage"})})
    (folder / "carol.zip").write_bytes(b"not a zip at all")
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\ns1234567,2026-10-04T10:00:00\n"
                     "s7654321,2026-10-02T22:00:00\n")
    config = leaderboard_on(tmp_path)
    common = ["--kind", "final", "--hidden-labels", str(hidden_labels(project)),
              "--test-split", str(project / "dataset" / "test.json"),
              "--no-progress", "--grading-config", str(config)]
    late = ["--submission-times", str(times), "--due", "2026-10-02T23:59:00"]
    for name in ("single", "sharded"):
        (tmp_path / f"ledger-{name}.csv").write_text("student,late_days_used\ns1234567,3\n")

    single = tmp_path / "single"
    assert instructor_main(["grade-batch", str(folder), "--out", str(single),
                            *common, *late, "--ledger", str(tmp_path / "ledger-single.csv")]) == 0
    sharded = tmp_path / "sharded"
    for index in (1, 2, 3):
        assert instructor_main(["grade-batch", str(folder), "--out", str(sharded),
                                "--shard", f"{index}/3", *common]) == 0
        assert not (sharded / "gradebook.csv").exists()
    assert "shard 1/3: 1 submissions, 1 graded" in capsys.readouterr().out
    assert instructor_main(["grade-batch-merge", str(sharded), "--grading-config", str(config),
                            *late, "--ledger", str(tmp_path / "ledger-sharded.csv")]) == 0

    class_files = ["gradebook.csv", "class-report.html", "leaderboard.csv", "leaderboard.html"]
    per_submission = [f"{name}/{file}" for name in ("ada", "bob", "carol")
                      for file in ("results.json", "feedback.md")]
    for name in class_files + per_submission:
        assert (sharded / name).read_bytes() == (single / name).read_bytes(), name
    assert (tmp_path / "ledger-sharded.csv").read_bytes() == \
        (tmp_path / "ledger-single.csv").read_bytes()
    with open(single / "gradebook.csv", newline="") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    assert (rows["ada"]["days_late"], rows["ada"]["free_days_used"]) == ("2", "1")
    assert rows["ada"]["late_penalty"] == "capped at 90%"
    assert float(rows["ada"]["score_after_late"]) == 0.9 * float(rows["ada"]["score"])
    assert float(rows["ada"]["ffnn_points"]) > 0 and float(rows["ada"]["rnn_points"]) > 0
    with open(single / "leaderboard.csv", newline="") as handle:
        leaderboard = list(csv.DictReader(handle))
    assert float(leaderboard[0]["rnn_f1"]) > 0.5 and float(leaderboard[0]["ffnn_f1"]) > 0.3
    assert rows["bob"]["days_late"] == "0" and rows["carol"]["late_penalty"] == \
        "no submission time"
    assert "Late policy: 2 days late" in (single / "ada" / "feedback.md").read_text()
    assert 'data-figure="late">1<' in (single / "class-report.html").read_text()

    # A shard that failed: the merge names it and writes nothing.
    (sharded / "shards" / "shard-2-of-3.json").unlink()
    before = sorted(path.name for path in sharded.iterdir())
    gradebook = (sharded / "gradebook.csv").read_bytes()
    capsys.readouterr()
    assert instructor_main(["grade-batch-merge", str(sharded)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "shard 2/3 did not finish" in error
    assert sorted(path.name for path in sharded.iterdir()) == before
    assert (sharded / "gradebook.csv").read_bytes() == gradebook
