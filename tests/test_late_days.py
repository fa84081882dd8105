"""Late days on a graded batch: submission times from a CSV, Gradescope's metadata and
nbgrader; extensions; the ledger across assignments; the gradebook columns, feedback
line and report section; bad input named by file and line, with nothing written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from autograder.cli.main import main as instructor_main
from autograder.course.late_days import FEEDBACK_PREFIX, late_columns, prepare_late_days
from autograder.course.late_policy import LatePolicy
from autograder.course.times import read_submission_times
from autograder.grader.batch import write_batch_outputs
from autograder.grader.settings import load_settings

POLICY = LatePolicy(timezone="America/New_York", cutoff=5, free_late=4, penalty="cap",
                    percent_per_unit=10)
DUE = "2026-10-02T23:59:00"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def graded_row(submission: str, student: str, score: float) -> dict:
    return {"submission": submission, "student_id": student, "name": student.title(),
            "kind": "milestone", "status": "graded", "score": score, "max_score": 40.0}


# ---------------------------------------------------------------------- submission times
def test_times_from_a_csv_gradescope_and_nbgrader(tmp_path: Path) -> None:
    zone = POLICY.zone
    times = read_submission_times(write(tmp_path / "t.csv", (
        "student,submitted_at\nada,2026-10-02T23:00:00\nbob,\n")), zone)
    assert [(t.student, t.submitted is None) for t in times] == [("ada", False), ("bob", True)]
    assert times[0].where == f"{tmp_path / 't.csv'}:2"

    one = {"id": 7, "created_at": "2026-10-04T10:00:00.365935-04:00",
           "assignment": {"due_date": "2026-10-02T23:59:00.000000-04:00",
                          "late_due_date": None, "title": "hw3"},
           "users": [{"email": "ada@example.edu", "id": 1, "name": "Ada", "sid": "s1",
                      "assignment": {"due_date": "2026-10-05T23:59:00.000000-04:00"}},
                     {"email": "bob@example.edu", "id": 2, "name": "Bob"}]}
    times = read_submission_times(write(tmp_path / "submission_metadata.json",
                                        json.dumps(one, indent=2)), zone)
    assert [t.student for t in times] == ["s1", "bob@example.edu"]
    assert times[0].due.isoformat() == "2026-10-05T23:59:00-04:00"  # Ada's extension
    assert times[1].due.isoformat() == "2026-10-02T23:59:00-04:00"
    assert times[0].submitted.isoformat() == "2026-10-04T10:00:00.365935-04:00"

    export = tmp_path / "export"
    export.mkdir()
    write(export / "submission_metadata.yml", (
        "submission_101:\n"
        "  :submitters:\n"
        "  - :name: Ada Lovelace\n"
        "    :sid: s1\n"
        "    :email: ada@example.edu\n"
        "  :created_at: 2026-10-03 00:00:01.000000000 -04:00\n"
        "  :score: 40.0\n"))
    times = read_submission_times(export, zone)
    assert [(t.student, t.submission, t.submitted.isoformat()) for t in times] == \
        [("s1", "submission_101", "2026-10-03T00:00:01-04:00")]

    course = tmp_path / "course"
    for student, stamp in (("ada", "2026-10-03 03:59:01.000000 UTC"), ("bob", None)):
        folder = course / "submitted" / student / "hw3"
        folder.mkdir(parents=True)
        if stamp:
            write(folder / "timestamp.txt", stamp + "\n")
    times = read_submission_times(course, zone, "hw3")
    assert [(t.student, t.submitted and t.submitted.isoformat()) for t in times] == \
        [("ada", "2026-10-03T03:59:01+00:00"), ("bob", None)]


# ---------------------------------------------------------------------- rows and ledger
def test_two_assignments_spend_the_ledger_and_fill_the_gradebook(tmp_path: Path) -> None:
    settings = load_settings()
    ledger = write(tmp_path / "ledger.csv", "student,late_days_used,hw1\nada,3,3\nbob,0,0\n")
    times = write(tmp_path / "times.csv", (
        "student,submitted_at\n"
        "ada,2026-10-05T12:00:00\n"        # 3 days late, 1 free day left: capped at 80%
        "bob,2026-10-03T00:00:00\n"        # one second after the due time
        "cyd,2026-10-08T12:00:00\n"        # 6 days late: more than 5
        "dee,\n"))                         # no time on record
    extensions = write(tmp_path / "ext.csv", "student,due\nbob,2026-10-03T12:00:00\n")
    out = tmp_path / "out"
    rows = [graded_row("ada", "ada", 38), graded_row("bob", "bob", 30),
            graded_row("cyd", "cyd", 40), graded_row("dee", "dee", 40),
            graded_row("eve", "eve", 20)]
    for row in rows:
        write((out / row["submission"]).mkdir(parents=True) or
              out / row["submission"] / "feedback.md", "# Feedback\n\nScore: x\n")

    def run() -> dict[str, dict[str, str]]:
        step = prepare_late_days(POLICY, times=times, assignment="hw2", due=DUE,
                                 extensions=extensions, ledger=ledger)
        write_batch_outputs([dict(row) for row in rows], out, settings, "hw2", step)
        with open(out / "gradebook.csv", newline="") as handle:
            return {row["submission"]: row for row in csv.DictReader(handle)}

    book = run()
    header = next(csv.reader((out / "gradebook.csv").open()))
    assert header[-6:] == late_columns(POLICY)
    ada, bob, cyd, dee, eve = (book[name] for name in ("ada", "bob", "cyd", "dee", "eve"))
    assert (ada["days_late"], ada["free_days_used"], ada["late_penalty"],
            ada["score"], ada["score_after_late"]) == ("3", "1", "capped at 80%", "38", "32.0")
    assert ada["submitted_at"] == "2026-10-05T12:00:00-04:00"
    assert (bob["days_late"], bob["score_after_late"]) == ("0", "30.0")  # extension
    assert bob["due_at"] == "2026-10-03T12:00:00-04:00"
    assert (cyd["days_late"], cyd["free_days_used"], cyd["score_after_late"]) == ("6", "0",
                                                                                   "0.0")
    assert cyd["late_penalty"] == "no credit: more than 5 days late"
    for flagged in (dee, eve):
        assert flagged["late_penalty"] == "no submission time"
        assert flagged["score_after_late"] == "" and flagged["days_late"] == ""
    assert (tmp_path / "ledger.prev-1.csv").read_text() == \
        "student,late_days_used,hw1\nada,3,3\nbob,0,0\n"
    expected_ledger = ("student,late_days_used,hw1,hw2\nada,4,3,1\nbob,0,0,0\n"
                       "cyd,0,,0\n")
    assert ledger.read_text() == expected_ledger
    feedback = (out / "ada" / "feedback.md").read_text()
    assert feedback.count(FEEDBACK_PREFIX) == 1
    assert ("Late policy: 3 days late (due 2026-10-02 23:59 EDT); 1 free late day used, "
            "0 free late days left; capped at 80%; score 38 -> 32 of 40.") in feedback
    assert "on time (due 2026-10-03 12:00 EDT (your extension))" in \
        (out / "bob" / "feedback.md").read_text()
    assert "no submission time is on record" in (out / "dee" / "feedback.md").read_text()
    report = (out / "class-report.html").read_text()
    for key, value in (("late", 2), ("on-time", 1), ("late-no-credit", 1),
                       ("late-no-time", 2), ("late-free-used", 1)):
        assert f'data-figure="{key}">{value}<' in report

    # Running the same assignment again spends nothing twice.
    again = run()
    assert again == book
    assert ledger.read_text() == expected_ledger
    assert (out / "ada" / "feedback.md").read_text() == feedback


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("files", "problem"), [
    ({"ledger.csv": "student,late_days_used\nada,1\nzed,2\n"},
     "ledger.csv:3: unknown student 'zed'"),
    ({"ledger.csv": "student,late_days_used\nada,-1\n"},
     "ledger.csv:2: late_days_used: negative late days (-1)"),
    ({"ledger.csv": "student,late_days_used\nada,1.5\n"},
     "ledger.csv:2: late_days_used: fractional late days (1.5)"),
    ({"times.csv": "student,submitted_at\nada,2026-10-02T23:00\nbob,next tuesday\n"},
     "times.csv:3: cannot read the time 'next tuesday'"),
    ({"ext.csv": "student,due\nbob,2026-10-01T23:59\n"},
     "ext.csv:2: the extension of 'bob' (2026-10-01T23:59:00-04:00) ends before the due "
     "time (2026-10-02T23:59:00-04:00)"),
    # a student twice, in each per-student file
    ({"times.csv": "student,submitted_at\nada,2026-10-02T23:00\nada,2026-10-02T23:30\n"},
     "times.csv:3: student 'ada' is listed twice (also on line 2)"),
    ({"ledger.csv": "student,late_days_used\nada,1\nada,2\n"},
     "ledger.csv:3: student 'ada' is listed twice (also on line 2)"),
    ({"ext.csv": "student,due\nbob,2026-10-04T23:59\nbob,2026-10-05T23:59\n"},
     "ext.csv:3: student 'bob' is listed twice (also on line 2)"),
])
def test_bad_input_is_named_and_nothing_is_written(tmp_path: Path, files: dict[str, str],
                                                   problem: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    inputs = {"times.csv": "student,submitted_at\nada,2026-10-02T23:00\nbob,\n",
              "ledger.csv": "student,late_days_used\nada,1\n",
              "ext.csv": "student,due\nbob,2026-10-04T23:59\n", **files}
    for name, text in inputs.items():
        write(tmp_path / name, text)
    folder = tmp_path / "submissions"
    folder.mkdir()
    write(folder / "ada.zip", "not graded: the inputs are checked first")
    out = tmp_path / "graded"
    code = instructor_main([
        "grade-batch", str(folder), "--out", str(out), "--no-progress",
        "--submission-times", str(tmp_path / "times.csv"), "--due", DUE,
        "--ledger", str(tmp_path / "ledger.csv"), "--extensions", str(tmp_path / "ext.csv")])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith(f"error: {tmp_path}/{problem}"), error
    assert error.count("\n") == 1 and "Traceback" not in error
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*inputs, "submissions"])
    assert (tmp_path / "ledger.csv").read_text() == inputs["ledger.csv"]


def test_an_hourly_deduction_and_gradescope_times(tmp_path: Path) -> None:
    """Per-hour deduction with a grace period, times from Gradescope's metadata (the
    due time, and a student's own extended one), no ledger."""
    from dataclasses import replace

    hourly = replace(POLICY, unit="hour", grace_minutes=10, free_late=0, cutoff=None,
                     penalty="deduct", percent_per_unit=2, minimum_percent=50)
    metadata = [{"created_at": created, "assignment": {"due_date": "2026-10-02T23:59:00-04:00"},
                 "users": [{"sid": sid, "name": sid, "email": f"{sid}@example.edu", **extra}]}
                for sid, created, extra in (
                    ("s1", "2026-10-03T00:09:00-04:00", {}),          # within the grace
                    ("s2", "2026-10-03T02:30:00-04:00", {}),          # 3 hours late
                    ("s3", "2026-10-05T00:00:00-04:00", {}),          # 49 hours: floor
                    ("s4", "2026-10-03T10:00:00-04:00",
                     {"assignment": {"due_date": "2026-10-04T23:59:00-04:00"}}))]
    times = write(tmp_path / "submission_metadata.json", json.dumps(metadata, indent=1))
    step = prepare_late_days(hourly, times=times, assignment="hw2")
    rows = [graded_row(sid, sid, 30.0) for sid in ("s1", "s2", "s3", "s4")]
    assert step.apply(rows) == ["submitted_at", "due_at", "hours_late", "free_hours_used",
                                "late_penalty", "score_after_late"]
    shown = {row["submission"]: (row["hours_late"], row["late_penalty"], row["score_after_late"])
             for row in rows}
    assert shown == {"s1": (0, "", 30.0),
                     "s2": (3, "-6% of the maximum", 27.6),
                     "s3": (49, "-98% of the maximum (kept at the minimum 50%)", 15.0),
                     "s4": (0, "", 30.0)}
    assert step.lines["s2"] == ("Late policy: 3 hours late (due 2026-10-02 23:59 EDT); "
                                "-6% of the maximum; score 30 -> 27.6 of 40.")

    bad = write(tmp_path / "bad.json", json.dumps(
        {"created_at": "the third of October", "assignment": {"due_date": None},
         "users": [{"sid": "s1"}]}, indent=1))
    with pytest.raises(Exception, match=rf"^{tmp_path}/bad.json:2: created_at: cannot read"):
        prepare_late_days(hourly, times=bad, assignment="hw2", due=DUE)
