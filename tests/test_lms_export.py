"""gradebook-merge's LMS files: Canvas's own gradebook export with the assignment's
column filled (the documented layout: Student, ID, SIS User ID, SIS Login ID, Section,
assignment columns "Title (id)", read-only totals, the Points Possible row) and
Moodle's grade import CSV; the late policy's scores count, students in one list only
are listed, a Canvas export of another course is refused with nothing written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.cli.main import main as instructor_main
from autograder.grader.gradebook import columns
from autograder.grader.settings import load_settings

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                 "NER homework (4242)", "Quiz 1 (4243)", "Current Score",
                 "Unposted Current Score", "Final Score", "Unposted Final Score"]
CANVAS_ROWS = [
    ["    Points Possible", "", "", "", "", "100.00", "10.00", "(read only)", "(read only)",
     "(read only)", "(read only)"],
    ["Lovelace, Ada", "101", "s1234567", "s1234567", "NLP 101", "", "9.00", "90.00", "90.00",
     "45.00", "45.00"],
    ["Babbage, Charles", "102", "s2000002", "s2000002", "NLP 101", "", "8.00", "80.00",
     "80.00", "40.00", "40.00"],
    ["Hopper, Grace", "104", "s4000004", "s4000004", "NLP 102", "55", "7.00", "70.00",
     "70.00", "35.00", "35.00"],
    ["Student, Test", "103", "", "", "NLP 101", "", "", "", "", "", ""],
]
LATE = ["submitted_at", "due_at", "days_late", "free_days_used", "late_penalty",
        "score_after_late"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def kit_gradebook(path: Path) -> Path:
    """A grade-batch gradebook with the late policy's columns."""
    header = columns(load_settings()) + LATE
    rows = [
        {"submission": "ada", "student_id": "s1234567", "name": "Ada Lovelace", "kind": "final",
         "status": "graded", "score": "90.0", "max_score": "100.0", "days_late": "2",
         "free_days_used": "1", "late_penalty": "capped at 90%", "score_after_late": "81.5"},
        {"submission": "charles", "student_id": "s2000002", "name": "Charles Babbage",
         "kind": "final", "status": "graded", "score": "70.0", "max_score": "100.0",
         "late_penalty": "no submission time", "score_after_late": ""},
        {"submission": "zoe", "student_id": "s9000009", "name": "Zoe Zed", "kind": "final",
         "status": "graded", "score": "60.0", "max_score": "100.0", "days_late": "0",
         "free_days_used": "0", "late_penalty": "", "score_after_late": "60.0"},
    ]
    write_csv(path, header, [[row.get(name, "") for name in header] for row in rows])
    return path


def test_canvas_and_moodle_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    canvas = write_csv(tmp_path / "canvas.csv", CANVAS_HEADER, CANVAS_ROWS)
    moodle_export = write_csv(tmp_path / "moodle-export.csv",
                              ["First name", "Last name", "ID number", "Email address"],
                              [["Ada", "Lovelace", "s1234567", "ada@example.edu"],
                               ["Grace", "Hopper", "s4000004", "grace@example.edu"]])
    out = tmp_path / "merged.csv"
    (tmp_path / "merged.canvas.csv").write_text("an earlier import file\n")
    code = instructor_main([
        "gradebook-merge", "--kit", str(kit_gradebook(tmp_path / "gradebook.csv")),
        "--without-nbgrader", "--out", str(out), "--canvas", str(canvas),
        "--canvas-column", "4242", "--moodle-out", str(tmp_path / "moodle.csv"),
        "--moodle-item", "NER homework", "--moodle-roster", str(moodle_export)])
    printed = capsys.readouterr().out
    assert code == 0
    with open(tmp_path / "merged.canvas.csv", newline="") as handle:
        filled = list(csv.reader(handle))
    assert filled[0] == CANVAS_HEADER
    assert filled[1] == CANVAS_ROWS[0]  # Points Possible, as exported
    expected = [list(row) for row in CANVAS_ROWS[1:]]
    expected[0][5] = "81.5"  # Ada: the score after the late policy
    assert filled[2:] == expected  # Charles held back, Grace and the test student untouched
    assert (tmp_path / "merged.canvas.prev-1.csv").read_text() == "an earlier import file\n"
    assert "Canvas: 1 grades written" in printed
    assert "Points Possible" not in printed  # 100 points in Canvas, 100 in the kit
    assert "held back (no submission time; see notes): s2000002" in printed
    assert "graded by the kit, not in the Canvas list: s9000009" in printed
    assert "in the Canvas list, not graded by the kit: s4000004" in printed
    assert "in the Canvas list, not graded by the kit: Student, Test (no SIS Login ID)" in printed

    assert (tmp_path / "moodle.csv").read_text() == \
        "ID number,NER homework\ns1234567,81.5\ns9000009,60\n"
    assert "graded by the kit, not in the Moodle list: s9000009" in printed
    assert "in the Moodle list, not graded by the kit: s4000004" in printed
    with open(out, newline="") as handle:
        merged = {row["student"]: row for row in csv.DictReader(handle)}
    assert merged["s1234567"]["total"] == "81.5" and merged["s2000002"]["total"] == ""
    assert "no submission time for the final" in merged["s2000002"]["notes"]
    assert merged["s9000009"]["notes"] == ""


@pytest.mark.parametrize(("change", "problem"), [
    (lambda header, rows: (header, [rows[0], *[[*row[:3], "x" + row[3], *row[4:]]
                                               for row in rows[1:]]]),
     "canvas.csv:1: no student of the kit's gradebook is in this Canvas export"),
    (lambda header, rows: ([*header[:5], "Homework 9 (999)", *header[6:]], rows),
     "canvas.csv:1: no assignment column '4242' in this Canvas export"),
    (lambda header, rows: (header, [*rows, rows[1]]),
     "canvas.csv:7: SIS Login ID 's1234567' is listed twice (also on line 3)"),
    (lambda header, rows: (header[1:], [row[1:] for row in rows]),
     "canvas.csv:1: not a Canvas gradebook export (no Student column)"),
])
def test_a_canvas_export_of_another_course_is_refused(tmp_path: Path, change, problem: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    header, rows = change(list(CANVAS_HEADER), [list(row) for row in CANVAS_ROWS])
    canvas = write_csv(tmp_path / "canvas.csv", header, rows)
    kit = kit_gradebook(tmp_path / "gradebook.csv")
    before = sorted(path.name for path in tmp_path.iterdir())
    code = instructor_main(["gradebook-merge", "--kit", str(kit), "--without-nbgrader",
                            "--out", str(tmp_path / "merged.csv"), "--canvas", str(canvas),
                            "--canvas-column", "4242", "--moodle-out",
                            str(tmp_path / "moodle.csv"), "--moodle-item", "NER"])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith(f"error: {tmp_path}/{problem}"), error
    assert sorted(path.name for path in tmp_path.iterdir()) == before
