"""The nbgrader route end to end: collecting submission zips from an LMS download,
autograding the real assignment notebook, feedback, and the merged gradebook.

One course directory is made with the real notebooks (nbgrader generates the
student versions), a dataset is built from the bundled sample corpus, and two
students hand in final zips through a Canvas-style and a Moodle-style download:
one with the reference code, one whose FFNN forgets its ReLU. nbgrader then
autogrades both notebooks in quick mode and writes their feedback (a few
minutes on two cores). Collection details run in their own small course
folders (seconds).
"""

from __future__ import annotations

import csv
import html as html_module
import json
import re
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from test_grader_fixtures import REPO, SAMPLE, STUDENT_FILES, patched

from autograder.cli.main import main as instructor_main
from autograder.nbgrader.collect import student_folder_name
from autograder.nbgrader.course_directory import (
    generate_assignment,
    prepare_course_directory,
    run_nbgrader,
)
from autograder.nbgrader.lms_names import read_lms_path, submission_number
from autograder.release.settings import load_release_settings
from ner_helpers.data.build import build_dataset
from ner_helpers.data.records import load_split
from ner_helpers.submission import write_zip
from ner_helpers.tokenizer import Tokenizer

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]

SETTINGS = load_release_settings()
ASSIGNMENT_ID = SETTINGS.nbgrader.assignment_id
CORRECT, BROKEN = "s1001", "s1002"
ANSWER = "Padding each batch to its own longest sentence wastes the fewest positions."
#: The deliberate bug of the broken submission (TODO-4-2) and the check cell it fails.
NO_RELU = ("hidden = self.f[0](self.W(embeddings))", "hidden = self.W(embeddings)")
BROKEN_CHECK = "check-4-2"
#: The cells that use the broken FFNN's hidden layers.
BROKEN_CELLS = {BROKEN_CHECK, "final-checks", "ffnn-heatmaps"}
#: Errors of a failed set-up (files, imports, the data) rather than of student code.
SETUP_ERRORS = ("FileNotFoundError", "ModuleNotFoundError", "ImportError", "KitError")
#: Signs of such a failure in an error output.
SETUP_FAILURES = (*SETUP_ERRORS, "train.json", "tokenizer.json", "No module named")


def student_notebook(course: Path) -> nbformat.NotebookNode:
    """The released assignment notebook with every written answer filled in."""
    nb = nbformat.read(course / "release" / ASSIGNMENT_ID / "assignment.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            cell.source = f"{ANSWER} ({meta['grade_id']})"
    return nb


def final_zip(path: Path, student_id: str, name: str, notebook: nbformat.NotebookNode,
              tokenizer: bytes, replace: dict[str, str] | None = None) -> Path:
    """A final submission zip as `ner-kit submit final` writes it (models left out:
    nbgrader does not use them)."""
    entries = {
        "identity.json": json.dumps({"name": name, "student_id": student_id}).encode(),
        "submission.json": json.dumps({"kind": "final", "files": {}}).encode(),
        "tokenizer.json": tokenizer,
        "notebooks/assignment.ipynb": nbformat.writes(notebook).encode(),
    }
    for file in STUDENT_FILES:
        entries[f"ner_helpers/{file}"] = (REPO / "ner_helpers" / file).read_bytes()
    for file, text in (replace or {}).items():
        entries[f"ner_helpers/{file}"] = text.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_zip(entries, path)


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A course directory with the real notebooks, the students' dataset and a tokenizer."""
    base = tmp_path_factory.mktemp("nbgrader-route")
    course = base / "course"
    prepare_course_directory(course, [REPO / "notebooks" / "setup.ipynb",
                                      REPO / "notebooks" / "assignment.ipynb"], SETTINGS)
    generate_assignment(course, SETTINGS)
    dataset = base / "dataset"
    build_dataset(SAMPLE, dataset, base / "hidden" / "test_labels.json")
    tokenizer = Tokenizer().train(load_split(dataset / "train.json"), min_freq=1)
    tokenizer.save(base / "tokenizer.json")
    return {"base": base, "course": course, "dataset": dataset,
            "tokenizer": base / "tokenizer.json"}


def canvas_and_moodle_download(material: dict[str, Path], folder: Path) -> Path:
    """An LMS download: Canvas file names for the correct student (an older and a newer
    final, and a milestone), a Moodle folder for the broken one."""
    notebook = student_notebook(material["course"])
    tokenizer = material["tokenizer"].read_bytes()
    older = student_notebook(material["course"])
    older.cells[0].source += "\n(an older attempt)"
    final_zip(folder / "lovelaceada_101_4999_final-001.zip", CORRECT, "Ada Lovelace", older,
              tokenizer)
    final_zip(folder / "lovelaceada_101_5001_final-002.zip", CORRECT, "Ada Lovelace",
              notebook, tokenizer)
    milestone = folder / "lovelaceada_101_4000_milestone-001.zip"
    write_zip({"identity.json": json.dumps({"name": "Ada Lovelace",
                                            "student_id": CORRECT}).encode(),
               "submission.json": b'{"kind": "milestone"}',
               "ner_helpers/tokenizer.py": (REPO / "ner_helpers" / "tokenizer.py").read_bytes()},
              milestone)
    final_zip(folder / "Charles Babbage_202_assignsubmission_file_" / "final-001.zip", BROKEN,
              "Charles Babbage", notebook, tokenizer,
              replace={"ffnn.py": patched("ffnn.py", *NO_RELU)})
    (folder / "__MACOSX").mkdir()
    (folder / "__MACOSX" / "._final-001.zip").write_bytes(b"resource fork")
    return folder


def collect(material: dict[str, Path], source: Path, course: Path,
            *extra: str) -> int:
    return instructor_main(["nbgrader-collect", str(source), "--course-dir", str(course),
                            "--dataset", str(material["dataset"]), "--root", str(REPO),
                            *extra])


@pytest.fixture(scope="module")
def graded(material: dict[str, Path]) -> Path:
    """Both students collected, autograded and given feedback by nbgrader."""
    course = material["course"]
    download = canvas_and_moodle_download(material, material["base"] / "download")
    assert collect(material, download, course) == 0
    run_nbgrader(course, ["autograde", ASSIGNMENT_ID, "--force"])
    run_nbgrader(course, ["generate_feedback", ASSIGNMENT_ID, "--force"])
    return course


def error_cells(notebook: nbformat.NotebookNode) -> dict[str, list[str]]:
    """``cell id -> "ename: evalue"`` of every error output."""
    found: dict[str, list[str]] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.setdefault(cell.id, []).append(f"{output.ename}: {output.evalue}")
    return found


def autograded(course: Path, student: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "autograded" / student / ASSIGNMENT_ID / "assignment.ipynb",
                         as_version=4)


def feedback_text(course: Path, student: str) -> tuple[str, str]:
    raw = (course / "feedback" / student / ASSIGNMENT_ID / "assignment.html").read_text()
    return raw, html_module.unescape(re.sub(r"<[^>]+>", "", raw))


# ---------------------------------------------------------------------- file names
@pytest.mark.parametrize("path, lms, student, name, file_name", [
    ("lovelaceada_101_5001_final-002.zip", "canvas", "101", "lovelaceada", "final-002.zip"),
    ("lovelaceada_LATE_101_5001_final-002-1.zip", "canvas", "101", "lovelaceada",
     "final-002-1.zip"),
    ("Ada Lovelace_123456_assignsubmission_file_/final-001.zip", "moodle", "123456",
     "Ada Lovelace", "final-001.zip"),
    ("Ada Lovelace_123456_assignsubmission_file_final-001.zip", "moodle", "123456",
     "Ada Lovelace", "final-001.zip"),
    ("Homework_alovelace_attempt_2024-05-01-12-00-00_final-001.zip", "blackboard",
     "alovelace", "", "final-001.zip"),
    ("alovelace/final-latest.zip", "plain", "alovelace", "", "final-latest.zip"),
    ("alovelace.zip", "plain", "alovelace", "", "alovelace.zip"),
])
def test_lms_file_names(path, lms, student, name, file_name) -> None:
    found = read_lms_path(path)
    assert (found.lms, found.student, found.name, found.file_name) == (lms, student, name,
                                                                       file_name)


def test_newest_submission_ranks_highest() -> None:
    ranks = [submission_number(n) for n in ("final-001.zip", "final-002-1.zip",
                                             "final-latest.zip")]
    assert ranks == sorted(ranks) and submission_number("notes.zip") == 0
    assert student_folder_name("s 12/34..") == "s_12_34"


# ---------------------------------------------------------------------- collection
def test_collect_builds_what_autograde_needs(material: dict[str, Path],
                                             tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    download = canvas_and_moodle_download(material, tmp_path / "download")
    course = tmp_path / "course"
    assert collect(material, download, course) == 0
    printed = capsys.readouterr().out
    assert "2 collected, 0 unchanged" in printed
    assert "has no nbgrader_config.py yet; `ner-instructor release` creates" in printed
    assert "older submission of s1001" in printed and "a milestone submission" in printed
    assert "__MACOSX" not in printed
    folder = course / "submitted" / CORRECT / ASSIGNMENT_ID
    with zipfile.ZipFile(download / "lovelaceada_101_5001_final-002.zip") as archive:
        assert (folder / "assignment.ipynb").read_bytes() == \
            archive.read("notebooks/assignment.ipynb")
        assert (folder / "artefacts" / "tokenizer.json").read_bytes() == \
            archive.read("tokenizer.json")
        assert (folder / "ner_helpers" / "ffnn.py").read_bytes() == \
            archive.read("ner_helpers/ffnn.py")
    # the released package around the TODO files: checks, configs, the command
    for rel in ("__init__.py", "checks/runner.py", "configs/kit.yaml", "cli/main.py"):
        assert (folder / "ner_helpers" / rel).is_file(), rel
    for split in ("train", "val", "test"):
        assert (folder / "dataset" / f"{split}.json").is_file()
    assert all("NER" not in row for row in load_split(folder / "dataset" / "test.json"))
    broken = course / "submitted" / BROKEN / ASSIGNMENT_ID / "ner_helpers" / "ffnn.py"
    assert NO_RELU[1] in broken.read_text()
    with open(course / SETTINGS.nbgrader.collect_log_file, newline="") as handle:
        log = {row["student"]: row for row in csv.DictReader(handle)}
    assert log[CORRECT]["source"] == "lovelaceada_101_5001_final-002.zip"
    assert log[BROKEN]["name"] == "Charles Babbage"


def test_collect_accepts_a_zipped_download_and_never_overwrites(
        material: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    download = canvas_and_moodle_download(material, tmp_path / "download")
    bundle = tmp_path / "canvas-download.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        for path in sorted(download.rglob("*.zip")):
            archive.write(path, path.relative_to(download).as_posix())
    course = tmp_path / "course"
    assert collect(material, bundle, course) == 0
    folder = course / "submitted" / CORRECT / ASSIGNMENT_ID
    first = (folder / "assignment.ipynb").read_bytes()
    capsys.readouterr()
    assert collect(material, bundle, course) == 0
    assert "0 collected, 2 unchanged" in capsys.readouterr().out
    # a newer submission replaces it; the earlier one is kept
    notebook = student_notebook(material["course"])
    notebook.cells[0].source += "\n(resubmitted)"
    final_zip(tmp_path / "again" / "lovelaceada_101_6001_final-003.zip", CORRECT,
              "Ada Lovelace", notebook, material["tokenizer"].read_bytes())
    assert collect(material, tmp_path / "again", course) == 0
    kept = course / SETTINGS.nbgrader.collect_keep_dir / CORRECT / f"{ASSIGNMENT_ID}-1"
    assert (kept / "assignment.ipynb").read_bytes() == first
    assert b"(resubmitted)" in (folder / "assignment.ipynb").read_bytes()
    assert f"kept in {kept}" in capsys.readouterr().out


def test_collect_refuses_what_it_cannot_use(material: dict[str, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "broken_1_2_final-001.zip").write_bytes(b"not a zip")
    write_zip({"identity.json": b'{"student_id": "s9", "name": "No Notebook"}',
               "submission.json": b'{"kind": "final"}',
               "ner_helpers/ffnn.py": b"# code\n"}, folder / "s9" / "final-001.zip")
    assert collect(material, folder, tmp_path / "course") == 0
    printed = capsys.readouterr().out
    assert "not a readable zip" in printed
    assert "holds no notebooks/assignment.ipynb" in printed
    assert not (tmp_path / "course" / "submitted").exists()
    assert collect(material, tmp_path / "nowhere", tmp_path / "course") == 2
    assert "no such folder or zip file" in capsys.readouterr().err


# ---------------------------------------------------------------------- autograde and feedback
def test_the_correct_submission_runs_without_any_error(graded: Path) -> None:
    assert error_cells(autograded(graded, CORRECT)) == {}


def test_the_broken_submission_fails_only_where_its_bug_shows(graded: Path) -> None:
    """The FFNN without ReLU fails its check, the final check_all and the activation
    heatmaps of its hidden layers (the ReLU whose activations they show is never called);
    nothing fails for want of files, data or imports."""
    errors = error_cells(autograded(graded, BROKEN))
    assert BROKEN_CHECK in errors and set(errors) <= BROKEN_CELLS, errors
    for cell_id, cell_errors in errors.items():
        for error in cell_errors:
            assert not any(sign in error for sign in SETUP_FAILURES), error
            if cell_id.startswith(("check-", "final-checks")):
                assert error.startswith("CheckFailed: TODO-4-2"), error


def test_autograde_scores_the_checks(graded: Path) -> None:
    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}", SETTINGS.nbgrader.course_id) as gb:
        for student, failing in ((CORRECT, set()), (BROKEN, {BROKEN_CHECK})):
            notebook = gb.find_submission_notebook("assignment", ASSIGNMENT_ID, student)
            checks = {g.name: g.score for g in notebook.grades if g.name.startswith("check-")}
            assert len(checks) == 10
            assert {name for name, score in checks.items() if score == 0} == failing


def test_feedback_shows_no_traceback_of_the_kit(graded: Path) -> None:
    for student in (CORRECT, BROKEN):
        raw, text = feedback_text(graded, student)
        for sign in ("Traceback (most recent call last)", "site-packages", "ner_helpers/checks",
                     *(f"{name}:" for name in SETUP_ERRORS)):
            assert sign not in text, (student, sign)
        assert f"{ANSWER} (answer-1_1)" in text
    _, broken = feedback_text(graded, BROKEN)
    assert "TODO-4-2" in broken


# ---------------------------------------------------------------------- the merged gradebook
def test_gradebook_merge_adds_the_hand_graded_answers(graded: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}", SETTINGS.nbgrader.course_id) as gb:
        notebook = gb.find_submission_notebook("assignment", ASSIGNMENT_ID, CORRECT)
        written = [g for g in notebook.grades if g.cell_type == "markdown"]
        for grade in written:  # what formgrader does when a TA enters a score
            grade.manual_score = grade.max_score
            grade.needs_manual_grade = False
        gb.db.commit()
        written_max = sum(g.max_score for g in written)
    kit = tmp_path / "gradebook.csv"
    header = ["submission", "student_id", "name", "kind", "status", "score", "max_score",
              "TODO-1.1-1", "ffnn_points"]
    with open(kit, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerow({"submission": "a", "student_id": CORRECT, "name": "Ada Lovelace",
                         "kind": "final", "status": "graded", "score": "97", "max_score": "100",
                         "TODO-1.1-1": "4", "ffnn_points": "10"})
        writer.writerow({"submission": "b", "student_id": BROKEN, "name": "Charles Babbage",
                         "kind": "final", "status": "graded", "score": "80",
                         "max_score": "100", "TODO-1.1-1": "4", "ffnn_points": "10"})
    out = tmp_path / "merged.csv"
    assert instructor_main(["gradebook-merge", "--kit", str(kit), "--course-dir", str(graded),
                            "--out", str(out)]) == 0
    assert "1 students have written answers still to grade" in capsys.readouterr().out
    with open(out, newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {CORRECT, BROKEN}
    ada, charles = rows[CORRECT], rows[BROKEN]
    assert ada["final_score"] == "97" and ada["final_TODO-1.1-1"] == "4"
    assert float(ada["written_score"]) == written_max == 19
    assert ada["written_ungraded"] == "0" and ada["answer-1_1"] == "2"
    assert float(ada["total"]) == 97 + written_max
    assert float(ada["total_max_score"]) == 100 + written_max
    assert charles["written_ungraded"] == "10" and charles["answer-1_1"] == ""
    # the real notebook's statement: its state, never its text, and no 0-point score column
    assert ada["collaboration_statement"] == charles["collaboration_statement"] == "answered"
    assert "collaboration-statement" not in ada
    assert "(collaboration-statement)" not in out.read_text()
    assert float(charles["total"]) == 80
