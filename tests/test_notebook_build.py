"""The notebooks: generated from notebooks/build/ and in sync with it, valid nbformat
and nbgrader metadata, the sections and graded cells of the assignment, and what
nbgrader's own release step makes of them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from autograder.release.markers import solution_lines
from ner_helpers.checks import TODOS

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "notebooks" / "build" / "build_notebooks.py"
NOTEBOOKS = ("assignment.ipynb", "setup.ipynb")
SECTIONS = [
    "## 0. Setup",
    "## 1.1 Tokenization",
    "## 1.2 Batching with dynamic padding",
    "## 2. Embeddings",
    "## 3. Training and evaluation loop",
    "## Milestone submission",
    "## 4.1 and 4.2 Feed-forward network",
    "## 4.3 FFNN analysis",
    "## 5.1 and 5.2 Recurrent network",
    "## 5.3 RNN analysis",
    "## Final submission",
    "## Bonus (optional, not graded)",
]
CHECK_POINTS_TOTAL = 10
WRITTEN_POINTS_TOTAL = 19


def in_optional_section(cell) -> bool:
    """Whether a cell belongs to an optional section (the totals above count the core)."""
    return bool(cell.get("metadata", {}).get("ner_kit", {}).get("section"))


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / name, as_version=4)


def nbgrader_of(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.fixture(scope="module")
def assignment() -> nbformat.NotebookNode:
    return read("assignment.ipynb")


def test_notebooks_are_in_sync_with_their_build_script():
    done = subprocess.run([sys.executable, str(BUILD), "--check"], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 0, (
        f"{done.stdout}{done.stderr}\nthe notebooks differ from notebooks/build/: run "
        "`.venv/bin/python notebooks/build/build_notebooks.py` and commit both")


def test_the_sync_check_notices_an_edited_notebook(tmp_path):
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, tmp_path / name)
    notebook = nbformat.read(tmp_path / "setup.ipynb", as_version=4)
    notebook.cells[1].source += "\nedited by hand"
    nbformat.write(notebook, tmp_path / "setup.ipynb")
    done = subprocess.run([sys.executable, str(BUILD), "--check", "--out-dir", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    assert f"{tmp_path / 'setup.ipynb'}: out of date" in done.stdout
    assert f"{tmp_path / 'assignment.ipynb'}: up to date" in done.stdout


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_nbformat_and_nbgrader_metadata_are_valid(name):
    notebook = read(name)
    nbformat.validate(notebook)
    MetadataValidator().validate_nb(notebook)
    ids = [cell.id for cell in notebook.cells]
    assert len(ids) == len(set(ids))
    grade_ids = [nbgrader_of(c)["grade_id"] for c in notebook.cells if nbgrader_of(c)]
    assert len(grade_ids) == len(set(grade_ids))
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_starts_with_the_badge_then_the_colab_cell(name):
    notebook = read(name)
    assert notebook.cells[0].id == "colab-badge"
    assert notebook.cells[0].source.startswith("[![Open In Colab]")
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert first_code.id == "colab-setup"
    assert "setup_notebook(REPOSITORY_URL, BRANCH, use_drive=USE_DRIVE)" in first_code.source
    assert "USE_DRIVE = False" in first_code.source


def test_the_sections_come_in_the_order_of_the_spec(assignment):
    headings = [line for cell in assignment.cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("## ")]
    positions = []
    for section in SECTIONS:
        found = [i for i, heading in enumerate(headings) if heading.startswith(section)]
        assert found, f"no section {section!r}"
        positions.append(found[0])
    assert positions == sorted(positions)


def test_one_locked_check_cell_per_todo_after_its_statement(assignment):
    cells = assignment.cells
    checks = [(i, c) for i, c in enumerate(cells) if nbgrader_of(c).get("grade")
              and c.cell_type == "code"]
    assert [c.source for _, c in checks] == [f'check("{n}")' for n in TODOS]
    for index, cell in checks:
        meta = nbgrader_of(cell)
        assert meta["locked"] and not meta["solution"] and meta["points"] == 1
        number = re.search(r'check\("(.+)"\)', cell.source).group(1)
        statement = next(c for c in reversed(cells[:index])
                         if c.cell_type == "markdown" and f"TODO-{number}" in c.source)
        assert nbgrader_of(statement).get("locked"), f"TODO-{number} statement is not locked"
        assert f"`{TODOS[number].file}`" in statement.source
        assert re.search(r"\[B, L|Tensor\[L\]|Tensor\[V", statement.source), \
            f"TODO-{number}: no shapes"
    core = [c for _, c in checks if "ner_kit" not in c.metadata]  # optional sections apart
    assert sum(nbgrader_of(c)["points"] for c in core) == CHECK_POINTS_TOTAL


def test_written_answers_are_manually_graded_after_their_question(assignment):
    cells = assignment.cells
    answers = [(i, c) for i, c in enumerate(cells)
               if nbgrader_of(c).get("solution") and c.cell_type == "markdown"
               and c.id != "collaboration-statement"]
    # The core homework's answers; optional sections (cells marked with their section's
    # name) add their own, graded only in a release that turns the section on.
    core = [(i, c) for i, c in answers if "ner_kit" not in c.metadata]
    assert len(core) == 10
    for index, cell in answers:
        meta = nbgrader_of(cell)
        assert meta["grade"] and not meta["locked"] and meta["points"] >= 1
        question = cells[index - 1]
        assert nbgrader_of(question).get("locked")
        assert question.source.startswith("**Question ")
        unit = "point" if meta["points"] == 1 else "points"
        assert question.source.endswith(f"*({meta['points']} {unit})*")
        assert len(cell.source.split()) > 60, f"{cell.id}: the model answer is too short"
    assert sum(nbgrader_of(c)["points"] for _, c in core) == WRITTEN_POINTS_TOTAL


def test_the_notebook_opens_with_the_collaboration_statement(assignment):
    """Right after the badge: the locked question in the release settings' wording, then
    the answer, manually graded with the configured points (0: not scored)."""
    import yaml

    settings = yaml.safe_load((ROOT / "autograder" / "config" / "release.yaml").read_text())
    wording = settings["collaboration_statement"]["wording"].strip()
    question, answer = assignment.cells[1], assignment.cells[2]
    assert question.id == "collaboration-question" and answer.id == "collaboration-statement"
    assert question.source.startswith(wording)
    assert "Did you consult anyone other than the TA" in question.source
    assert question.source.endswith("*(not scored: the course staff read it)*")
    assert nbgrader_of(question)["locked"] and not nbgrader_of(question)["grade"]
    meta = nbgrader_of(answer)
    assert answer.cell_type == "markdown" and meta["solution"] and meta["grade"]
    assert not meta["locked"] and meta["points"] == settings["collaboration_statement"][
        "points"] == 0


def test_the_written_questions_cover_the_topics_of_the_spec(assignment):
    questions = " ".join(c.source for c in assignment.cells if c.id.startswith("question-"))
    for topic in ("min_freq", "remove_frac", "dynamic padding", "nn.CrossEntropyLoss",
                  "nn.NLLLoss", "without\ngradients", "baseline", "two\ndimensions",
                  "hyperparameters", "entity tokens", "RNN with the FFNN", "very long",
                  "Bank of America", "went to Bank to draw cash", "optional"):
        assert topic.replace("\n", " ") in questions.replace("\n", " "), topic


def test_the_policies_are_stated(assignment):
    text = " ".join(c.source for c in assignment.cells).replace("\n", " ")
    assert "Submitted models have at most two layers" in text
    assert "Do not change code outside the TODO regions" in text
    assert "The grading metric is the one this notebook prints" in text


def test_the_bonus_holds_a_reference_in_an_ungraded_solution_cell(assignment):
    (bonus,) = [c for c in assignment.cells if c.id == "bonus-model"]
    meta = nbgrader_of(bonus)
    assert meta["solution"] and not meta["grade"]
    assert bonus.source.count("### BEGIN SOLUTION") == 2
    assert "nn.LSTM(" in bonus.source and "pack_padded_sequence(" in bonus.source


def test_submissions_use_the_submission_api(assignment):
    sources = {c.id: c.source for c in assignment.cells}
    assert 'submit("milestone")' in sources["milestone-submit"]
    assert 'submit("final")' in sources["final-submit"]
    # submit(kind), defined with the notebook's helpers, goes through the submission API,
    # which takes the notebook from the Colab page in Colab (a path given wins).
    assert "def submit(kind, notebook=None):" in sources["helpers"]
    assert "build_submission(kind, notebook_path=notebook)" in sources["helpers"]
    for cell_id in ("milestone-title", "final-title"):
        text = " ".join(sources[cell_id].split())
        assert "In Colab the submission cell takes this notebook from the Colab page" in text
        assert "Download .ipynb" not in sources[cell_id]
    ids = [c.id for c in assignment.cells]
    assert ids.index("check-3-2") < ids.index("milestone-submit") < ids.index("check-4-1")


def test_training_settings_come_from_the_bundled_configs(assignment):
    sources = "\n".join(c.source for c in assignment.cells if c.cell_type == "code")
    assert 'load_config("notebook")' in sources
    assert 'experiment_config("ffnn", "ffnn",' in sources
    assert 'experiment_config("rnn", "rnn",' in sources
    assert 'QUICK = GRADING or os.environ.get(NOTEBOOK["quick"]["env_var"]' in sources


def test_public_cells_repeat_no_line_of_a_reference_solution(assignment):
    secret = set()
    for path in (ROOT / "ner_helpers").glob("*.py"):
        secret.update(line for line in solution_lines(path.read_text(), str(path))
                      if len(line) >= 10)
    for name in NOTEBOOKS:
        for cell in read(name).cells:
            if nbgrader_of(cell).get("solution"):
                continue
            shared = secret & {line.strip() for line in cell.source.splitlines()}
            assert not shared, f"{name} cell {cell.id} repeats solution lines {sorted(shared)}"


@pytest.mark.slow
def test_nbgrader_generate_assignment_strips_answers_and_solutions(tmp_path):
    """nbgrader's own release step on the notebooks (about 10 s)."""
    source = tmp_path / "source" / "ner"
    source.mkdir(parents=True)
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, source / name)
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from there
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "ner",
                           f"--CourseDirectory.root={tmp_path}",
                           "--CourseDirectory.course_id=ner-course"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    released = nbformat.read(tmp_path / "release" / "ner" / "assignment.ipynb", as_version=4)
    source_cells = {c.id: c for c in read("assignment.ipynb").cells}
    for cell in released.cells:
        meta = nbgrader_of(cell)
        original = source_cells[cell.id]
        if meta.get("solution") and cell.cell_type == "markdown":
            assert cell.source == "YOUR ANSWER HERE"
        elif meta.get("solution"):
            assert "### BEGIN SOLUTION" not in cell.source and "nn.LSTM(" not in cell.source
            assert cell.source.count("raise NotImplementedError()") == 2
        else:
            assert cell.source == original.source, cell.id
        if meta.get("grade") or meta.get("locked"):
            assert meta.get("checksum"), cell.id
    assert [c.id for c in released.cells] == list(source_cells)


def test_setup_notebook_installs_like_the_readme():
    """The conda environment is the one environment.yml names (ner-kit), and the install
    lines are those of the student README (make setup, the CPU build of torch)."""
    import yaml

    setup = nbformat.read(ROOT / "notebooks" / "setup.ipynb", as_version=4)
    title = next(c.source for c in setup.cells if c.id == "title")
    name = yaml.safe_load((ROOT / "environment.yml").read_text())["name"]
    assert name == "ner-kit" and f"conda activate {name}" in title
    assert "ner-homework" not in title
    readme = (ROOT / "autograder" / "release" / "templates" / "README.md").read_text()
    for line in ("conda env create -f environment.yml", "make setup", "python -m venv .venv",
                 'python -m pip install -e ".[notebook]"',
                 "python -m pip install torch --index-url https://download.pytorch.org/whl/cpu"):
        assert line in title and line in readme, line
