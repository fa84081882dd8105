"""The kit's nbgrader course configuration, with real nbgrader runs.

One course directory is made per module with a small assignment notebook that
has each kind of nbgrader cell the kit uses; nbgrader generates the student
version, autogrades one submission and writes its feedback (about 20 s in all).

The submission carries a helper package whose ``tokenizer.py`` is the
student's unfinished stub, while the assignment's source folder holds the
instructor's package (with solutions): nbgrader's default would copy the
instructor's file over the student's before grading.
"""

from __future__ import annotations

import html as html_module
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from test_release_support import REPO, nbgrader_cell
from traitlets.config.loader import PyFileConfigLoader

from autograder.nbgrader.course_directory import (
    CONFIG_NAME,
    generate_assignment,
    prepare_course_directory,
    run_nbgrader,
)
from autograder.release.markers import strip_solutions
from autograder.release.settings import load_release_settings
from ner_helpers.errors import KitError

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]

SETTINGS = load_release_settings()
ASSIGNMENT_ID = SETTINGS.nbgrader.assignment_id
STUDENT = "alice"
HIDDEN_CHECK = "assert triple(7) == 21, 'triple is wrong for larger numbers'"
MODEL_ANSWER = "Padding every batch to its own longest sentence wastes the least compute."
STATEMENT_QUESTION = "**Collaboration statement.** Whom and what did you consult?"
STATEMENT = "I compared my padding answer with Grace Hopper's."


def assignment_notebook() -> nbformat.NotebookNode:
    """The instructor's notebook: solutions, visible and hidden tests, a written answer."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbgrader_cell("markdown", STATEMENT_QUESTION, "collaboration-question", locked=True),
        nbgrader_cell("markdown", "None.", "collaboration-statement", solution=True, grade=True,
                      points=0),
        nbgrader_cell("markdown", "# Course test assignment", "title", locked=True),
        nbgrader_cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                      "    ### END SOLUTION", "double", solution=True),
        nbgrader_cell("code", "assert double(2) == 4\n### BEGIN HIDDEN TESTS\n"
                      "assert double(5) == 10\n### END HIDDEN TESTS", "test-double",
                      grade=True, locked=True, points=2),
        nbgrader_cell("code", "def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n"
                      "    ### END SOLUTION", "triple", solution=True),
        nbgrader_cell("code", f"assert triple(1) == 3\n### BEGIN HIDDEN TESTS\n{HIDDEN_CHECK}\n"
                      "### END HIDDEN TESTS", "test-triple", grade=True, locked=True, points=1),
        nbgrader_cell("code", "from ner_helpers.tokenizer import Tokenizer\n"
                      "tok = Tokenizer().train([{'text': ['a', 'b']}], min_freq=1)\n"
                      "assert tok.tokenize('a b')['input_ids'].tolist() == [2, 3]",
                      "test-tokenizer", grade=True, locked=True, points=1),
        nbgrader_cell("markdown", "Why does dynamic padding help?", "question", locked=True),
        nbgrader_cell("markdown", f"### BEGIN SOLUTION\n{MODEL_ANSWER}\n### END SOLUTION",
                      "answer", solution=True, grade=True, points=3),
    ]
    return nb


def copy_package(dest: Path, stripped: bool) -> None:
    """The helper package at ``dest``: the instructor's, or the student stubs."""
    for path in sorted((REPO / "ner_helpers").rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        target = dest / path.relative_to(REPO / "ner_helpers")
        target.parent.mkdir(parents=True, exist_ok=True)
        if stripped and path.suffix == ".py":
            target.write_text(strip_solutions(path.read_text(), str(path)))
        else:
            shutil.copyfile(path, target)


def submit(course: Path, student: str, statement: str = STATEMENT) -> Path:
    """A submission made from the released notebook, with the student's stub package
    (``statement=""`` leaves the collaboration statement as released)."""
    folder = course / "submitted" / student / ASSIGNMENT_ID
    folder.mkdir(parents=True)
    nb = nbformat.read(str(course / "release" / ASSIGNMENT_ID / "assignment.ipynb"),
                       as_version=4)
    answers = {"double": "def double(x):\n    return x + x",
               "triple": "def triple(x):\n    return x + 2 if x < 3 else 0",
               "answer": "Shorter batches mean fewer pad positions."}
    if statement:
        answers["collaboration-statement"] = statement
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(nb, str(folder / "assignment.ipynb"))
    copy_package(folder / "ner_helpers", stripped=True)
    return folder


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = tmp_path_factory.mktemp("course")
    instructor = tmp_path_factory.mktemp("instructor") / "assignment.ipynb"
    nbformat.write(assignment_notebook(), str(instructor))
    source = prepare_course_directory(course, [instructor], SETTINGS)
    # the hazard: the instructor's package, with solutions, in the source folder
    copy_package(source / "ner_helpers", stripped=False)
    generate_assignment(course, SETTINGS)
    submit(course, STUDENT)
    run_nbgrader(course, ["autograde", ASSIGNMENT_ID, "--force"])
    run_nbgrader(course, ["generate_feedback", ASSIGNMENT_ID, "--force"])
    return course


def grades(course: Path, student: str) -> dict[str, tuple[float | None, float, bool]]:
    """``grade_id -> (score, max score, needs manual grade)`` from nbgrader's gradebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", SETTINGS.nbgrader.course_id) as gb:
        notebook = gb.find_submission_notebook("assignment", ASSIGNMENT_ID, student)
        return {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in notebook.grades}


def test_course_configuration_values(course: Path) -> None:
    config = PyFileConfigLoader(CONFIG_NAME, path=str(course)).load_config()
    assert config.CourseDirectory.course_id == SETTINGS.nbgrader.course_id
    assert config.CourseDirectory.root == str(course.resolve())
    for step in ("source", "release", "submitted", "autograded", "feedback"):
        assert config.CourseDirectory[f"{step}_directory"] == SETTINGS.nbgrader.directories[step]
    assert config.Execute.timeout == SETTINGS.nbgrader.execute_timeout > 30
    protected = config.Autograde.exclude_overwriting[ASSIGNMENT_ID]
    assert "ner_helpers/tokenizer.py" in protected and "ner_helpers/checks/runner.py" in protected


def test_generate_assignment_strips_solutions_removes_hidden_tests_and_locks(course: Path) -> None:
    released = course / "release" / ASSIGNMENT_ID
    assert (released / "assignment.ipynb").is_file()
    nb = nbformat.read(str(released / "assignment.ipynb"), as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    for secret in ("return 2 * x", "return 3 * x", "double(5)", HIDDEN_CHECK, MODEL_ANSWER,
                   "BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
        assert secret not in text, secret
    cells = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells}
    assert "raise NotImplementedError()" in cells["double"].source
    assert cells["answer"].source == "YOUR ANSWER HERE"
    for grade_id in ("test-double", "test-triple", "test-tokenizer", "question"):
        assert cells[grade_id].metadata.get("editable") is False, grade_id


def test_autograde_scores_passing_test_cells(course: Path) -> None:
    scores = grades(course, STUDENT)
    assert scores["test-double"] == (2.0, 2.0, False)  # visible and hidden tests pass
    assert scores["test-triple"] == (0.0, 1.0, False)  # the hidden test fails


def test_autograde_never_overwrites_student_package_files(course: Path) -> None:
    graded = course / "autograded" / STUDENT / ASSIGNMENT_ID / "ner_helpers" / "tokenizer.py"
    submitted = course / "submitted" / STUDENT / ASSIGNMENT_ID / "ner_helpers" / "tokenizer.py"
    instructor = course / "source" / ASSIGNMENT_ID / "ner_helpers" / "tokenizer.py"
    assert graded.read_bytes() == submitted.read_bytes() != instructor.read_bytes()
    # graded with the student's stub, not with the instructor's solution
    assert grades(course, STUDENT)["test-tokenizer"] == (0.0, 1.0, False)


def test_nbgrader_default_would_overwrite_them(course: Path) -> None:
    """The hazard the configuration prevents, shown with nbgrader's own default."""
    submit(course, "bob")
    config = course / CONFIG_NAME
    kit_config = config.read_text()
    try:
        config.write_text(kit_config + "\nc.Autograde.exclude_overwriting = {}\n")
        run_nbgrader(course, ["autograde", ASSIGNMENT_ID, "--student", "bob", "--force"])
    finally:
        config.write_text(kit_config)
    graded = course / "autograded" / "bob" / ASSIGNMENT_ID / "ner_helpers" / "tokenizer.py"
    instructor = course / "source" / ASSIGNMENT_ID / "ner_helpers" / "tokenizer.py"
    assert graded.read_bytes() == instructor.read_bytes()
    assert grades(course, "bob")["test-tokenizer"] == (1.0, 1.0, False)


def test_a_submission_without_its_package_is_refused(course: Path) -> None:
    folder = submit(course, "carol")
    shutil.rmtree(folder / "ner_helpers")
    with pytest.raises(KitError, match="has no ner_helpers/ folder beside the notebook"):
        run_nbgrader(course, ["autograde", ASSIGNMENT_ID, "--student", "carol", "--force"])


def test_written_answers_need_manual_grading(course: Path) -> None:
    score, max_score, needs_manual = grades(course, STUDENT)["answer"]
    assert max_score == 3.0 and needs_manual is True


def test_feedback_never_shows_hidden_tests(course: Path) -> None:
    raw = (course / "feedback" / STUDENT / ASSIGNMENT_ID / "assignment.html").read_text()
    html = html_module.unescape(re.sub(r"<[^>]+>", "", raw))  # the text a reader sees
    for secret in ("HIDDEN TESTS", "double(5)", "triple(7)", MODEL_ANSWER):
        assert secret not in html and secret not in raw, secret
    assert "double(2) == 4" in html  # visible tests stay
    assert "triple is wrong for larger numbers" in html  # the hidden test's message stays
    assert "Shorter batches mean fewer pad positions." in html


# ---------------------------------------------------------------------- collaboration statement
def formgrader_page(course: Path, student: str) -> str:
    """The page nbgrader's formgrader shows a TA for one submission (its own exporter and
    template, rendered without the web server)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": ASSIGNMENT_ID, "notebook_id": "assignment",
                 "submission_id": "x", "index": 0, "total": 1, "base_url": "",
                 "student": student, "last_name": "", "first_name": "", "notebook_path": ""}
    page, _ = HTMLExporter(config=config).from_filename(
        str(course / "autograded" / student / ASSIGNMENT_ID / "assignment.ipynb"),
        resources=resources)
    return page


def test_the_statement_is_shown_in_formgrader_beside_the_answers_and_merged_as_a_state(
        course: Path) -> None:
    from autograder.nbgrader.gradebook_merge import merge_gradebooks, read_written_scores

    submit(course, "dave", statement="")
    run_nbgrader(course, ["autograde", ASSIGNMENT_ID, "--student", "dave", "--force"])
    alice, dave = grades(course, STUDENT), grades(course, "dave")
    assert alice["collaboration-statement"] == (0.0, 0.0, True)  # for the TA to read
    assert dave["collaboration-statement"] == (0.0, 0.0, False)  # unchanged: nothing to read

    page = formgrader_page(course, STUDENT)
    text = html_module.unescape(re.sub(r"<[^>]+>", "", page))
    assert STATEMENT in text and "Shorter batches mean fewer pad positions." in text
    for grade_id in ("collaboration-statement", "answer"):  # a grade box for each answer
        assert f'id="{grade_id}"' in page
    assert text.index(STATEMENT) < text.index("Shorter batches mean fewer pad positions.")

    written = read_written_scores(course, SETTINGS.nbgrader.course_id, ASSIGNMENT_ID)
    header, rows = merge_gradebooks([], written)
    by_student = {row["student"]: row for row in rows}
    assert by_student[STUDENT]["collaboration_statement"] == "answered"
    assert by_student["dave"]["collaboration_statement"] == "empty"
    assert "collaboration_statement" in header
    assert "collaboration-statement" not in header, "a 0-point statement has no score column"
    assert by_student["dave"]["written_ungraded"] == 1  # the answer, not the statement
    assert not any(STATEMENT in str(value) for row in rows for value in row.values())
