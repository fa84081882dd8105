"""The student release: layout, stripping, dataset, determinism, round trip.

One release is built per module from a copy of the source tree (about 6 s, most
of it ``nbgrader generate_assignment``); a second build checks that rebuilding
gives the same bytes and keeps the earlier release.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tomllib
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from test_release_support import ASSIGNMENT, SETUP, copy_source_tree, tree_bytes

from autograder.release.builder import apply_colab_links, build_release, notebook_files
from autograder.release.markers import find_regions
from autograder.release.notebook_regions import nbgrader_meta
from autograder.release.sections import cell_section, disabled_todos, off_section_of_path
from autograder.release.settings import load_release_settings
from autograder.release.todo_list import find_todos
from ner_helpers.errors import KitError

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("release")]

SETTINGS = load_release_settings()
TODO_FILES = ["tokenizer.py", "collator.py", "embedding.py", "trainer.py", "ffnn.py", "rnn.py"]


def QUIET(message: str) -> None:  # noqa: N802 (a constant-like callable)
    """Progress messages are not shown in tests."""


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_source_tree(tmp_path_factory.mktemp("source") / "kit")


@pytest.fixture(scope="module")
def built(source: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("release") / "student"
    course = tmp_path_factory.mktemp("course")
    return build_release(source, out, course_dir=course, make_zip=True, say=QUIET,
                         allow_placeholder_url=True)


@pytest.fixture(scope="module")
def release(built) -> Path:
    return built.out_dir


def child_env(*python_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in python_path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# ------------------------------------------------------------------ layout
def test_release_has_the_student_layout_and_nothing_instructor_only(release: Path) -> None:
    top = sorted(path.name for path in release.iterdir())
    assert top == [".gitignore", "Makefile", "README.md", "dataset", "environment.yml",
                   "ner_helpers", "notebooks", "pyproject.toml"]
    assert sorted(p.name for p in (release / "dataset").iterdir()) == [
        "test.json", "train.json", "val.json"]
    assert sorted(p.name for p in (release / "notebooks").iterdir()) == [ASSIGNMENT, SETUP]
    assert (release / "ner_helpers" / "checks" / "__init__.py").is_file()
    every = [path.relative_to(release).as_posix() for path in release.rglob("*")]
    for forbidden in ("autograder", "tests", "docs", "benchmarks", ".ci", "artefacts", ".git",
                      "__pycache__", "hidden_tests", "grading.yaml", "test_labels.json"):
        assert not [p for p in every if forbidden in p.split("/")], forbidden


def test_package_ships_stubs_with_hints_and_other_files_unchanged(source: Path,
                                                                    release: Path) -> None:
    for path in sorted((source / "ner_helpers").rglob("*.py")):
        rel = path.relative_to(source)
        if off_section_of_path(rel.as_posix(), SETTINGS.package, SETTINGS.optional_sections):
            assert not (release / rel).exists(), f"{rel} belongs to a section that is off"
            continue
        text, shipped = path.read_text(), (release / rel).read_text()
        regions = find_regions(text, str(rel))
        if not regions:
            assert shipped == text, f"{rel} changed although it has no TODO"
            continue
        assert "BEGIN SOLUTION" not in shipped and "END SOLUTION" not in shipped
        for region in regions:
            hint = next(line for line in text.splitlines() if f"# {region.todo} hint" in line)
            assert hint in shipped, f"{rel}: the hint of {region.todo} is missing"
            assert f'raise NotImplementedError("{region.todo}: ' in shipped
    stub = re.compile(r'^\s*raise NotImplementedError\("TODO-', re.MULTILINE)
    assert {p.name for p in (release / "ner_helpers").rglob("*.py")
            if stub.search(p.read_text())} == set(TODO_FILES)


def test_readme_lists_every_todo_install_checks_and_submission(source: Path,
                                                               release: Path) -> None:
    readme = (release / "README.md").read_text()
    for todo in find_todos(source, SETTINGS):
        row = next(line for line in readme.splitlines()
                   if line.startswith(f"| TODO-{todo.number} "))
        assert todo.file in row and todo.where in row and todo.section in row
    assert "{{" not in readme
    for text in ("ner-kit submit milestone", "ner-kit submit final", "ner-kit check",
                 "make setup", "make test-checks", "conda env create -f environment.yml",
                 "https://colab.research.google.com/github/your-course/ner-homework/blob/main/"
                 "notebooks/assignment.ipynb"):
        assert text in readme, text


def test_readme_todos_match_the_public_checks(source: Path) -> None:
    from ner_helpers.checks import TODOS

    todos = find_todos(source, SETTINGS)
    off = disabled_todos(SETTINGS.optional_sections)  # the TODOs of sections that are off
    assert [todo.number for todo in todos] == [n for n in TODOS if f"TODO-{n}" not in off]
    for todo in todos:
        assert (TODOS[todo.number].file, TODOS[todo.number].title) == (todo.file, todo.where)


def test_student_project_installs_only_the_helper_package_and_ner_kit(
        release: Path, tmp_path: Path) -> None:
    pyproject = tomllib.loads((release / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"] == {"ner-kit": "ner_helpers.cli.main:main"}
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == ["ner_helpers*"]
    assert "autograder" not in (release / "pyproject.toml").read_text()
    assert "ner-instructor" not in (release / "pyproject.toml").read_text()

    project, site = tmp_path / "project", tmp_path / "site"
    shutil.copytree(release, project)  # pip builds inside the project folder
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-compile", "--target", str(site), str(project)],
                   check=True, capture_output=True, cwd=tmp_path)
    dist = next(site.glob("*.dist-info"))
    assert (dist / "top_level.txt").read_text().split() == ["ner_helpers"]
    assert "ner-kit = ner_helpers.cli.main:main" in (dist / "entry_points.txt").read_text()
    assert sorted(p.name for p in site.iterdir() if not p.name.endswith(".dist-info")) == [
        "bin", "ner_helpers"]
    assert (site / "ner_helpers" / "configs" / "kit.yaml").is_file()
    # the installed copy (as on Colab: not editable) runs the checks from a terminal
    done = subprocess.run([sys.executable, "-m", "ner_helpers.cli.main", "check", "1.1-1"],
                          capture_output=True, text=True, cwd=tmp_path, env=child_env(site))
    assert done.returncode == 1, done.stderr
    assert "TODO-1.1-1: not implemented yet" in done.stdout


def test_environment_file_installs_the_student_project(release: Path) -> None:
    text = (release / "environment.yml").read_text()
    assert "-e .[notebook]" in text and "[dev]" not in text
    pyproject = tomllib.loads((release / "pyproject.toml").read_text())
    assert "notebook" in pyproject["project"]["optional-dependencies"]


def test_makefile_has_setup_and_test_checks(release: Path) -> None:
    done = subprocess.run(["make", "-n", "setup", "test-checks"], cwd=release,
                          capture_output=True, text=True, check=True)
    assert "pip install -e" in done.stdout and "ner_helpers.cli.main check" in done.stdout


# ------------------------------------------------------------------ dataset
def test_dataset_ships_train_val_and_an_unlabelled_test_split(source: Path,
                                                              release: Path) -> None:
    for name in ("train.json", "val.json", "test.json"):
        assert (release / "dataset" / name).read_bytes() == (source / "dataset" / name).read_bytes()
    rows = json.loads((release / "dataset" / "test.json").read_text())
    assert rows and all("NER" not in row for row in rows)


def test_release_refuses_a_dataset_that_was_not_built(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "student"
    with pytest.raises(KitError, match="has not been built.*ner-kit data"):
        build_release(source, out, dataset_dir=tmp_path / "empty", course_dir=tmp_path / "c",
                      say=QUIET, allow_placeholder_url=True)
    assert not out.exists()


def test_release_refuses_a_test_split_with_labels(source: Path, tmp_path: Path) -> None:
    dataset = tmp_path / "dataset"
    shutil.copytree(source / "dataset", dataset)
    shutil.copyfile(dataset / "val.json", dataset / "test.json")
    with pytest.raises(KitError, match=r"test.json: row 1 carries NER labels"):
        build_release(source, tmp_path / "student", dataset_dir=dataset,
                      course_dir=tmp_path / "c", say=QUIET, allow_placeholder_url=True)


# ------------------------------------------------------------------ notebooks
def test_student_notebooks_are_nbgrader_student_versions(source: Path, release: Path) -> None:
    instructor = nbformat.read(str(source / "notebooks" / ASSIGNMENT), as_version=4)
    student = nbformat.read(str(release / "notebooks" / ASSIGNMENT), as_version=4)
    by_id = {nbgrader_meta(c).get("grade_id"): c for c in student.cells if nbgrader_meta(c)}
    graded = 0
    for cell in instructor.cells:
        meta = nbgrader_meta(cell)
        section = cell_section(cell)
        if section is not None and not SETTINGS.optional_sections[section].enabled:
            assert meta.get("grade_id") not in by_id, f"{meta.get('grade_id')}: section is off"
            continue
        if not meta:
            continue
        shipped = by_id[meta["grade_id"]]
        if meta.get("solution"):
            assert shipped.source != cell.source, f"solution cell {meta['grade_id']} unchanged"
        if meta.get("grade") and not meta.get("solution"):
            graded += 1
            assert shipped.metadata.get("editable") is False, "test cells must be locked"
        assert "BEGIN HIDDEN TESTS" not in shipped.source
        assert "BEGIN SOLUTION" not in shipped.source
    assert graded > 0
    for cell in student.cells:
        assert cell.get("outputs", []) == []


def test_colab_badge_and_first_cell_use_the_configured_repository(release: Path,
                                                                  tmp_path: Path) -> None:
    nb = json.loads((release / "notebooks" / ASSIGNMENT).read_text())
    if not any(cell.get("id") == "colab-badge" for cell in nb["cells"]):
        pytest.skip("the notebooks have no Colab cells")
    text = json.dumps(nb)
    assert (f"colab.research.google.com/github/your-course/ner-homework/blob/"
            f"{SETTINGS.colab_branch}/notebooks/{ASSIGNMENT}") in text
    folder = tmp_path / "notebooks"
    shutil.copytree(release / "notebooks", folder)
    other = dataclasses.replace(SETTINGS, colab_repository_url="https://github.com/uni/ner-2025",
                                colab_branch="spring")
    apply_colab_links(folder, other)
    cells = {cell.get("id"): "".join(cell["source"])
             for cell in json.loads((folder / ASSIGNMENT).read_text())["cells"]}
    assert "github/uni/ner-2025/blob/spring/notebooks/assignment.ipynb" in cells["colab-badge"]
    assert 'REPOSITORY_URL = "https://github.com/uni/ner-2025"' in cells["colab-setup"]
    assert 'BRANCH = "spring"' in cells["colab-setup"]


def test_the_student_notebook_opens_with_an_empty_collaboration_statement(release: Path) -> None:
    nb = json.loads((release / "notebooks" / ASSIGNMENT).read_text())
    question, answer = nb["cells"][1], nb["cells"][2]
    assert (question["id"], answer["id"]) == ("collaboration-question", "collaboration-statement")
    assert "".join(question["source"]).startswith(SETTINGS.statement_wording)
    assert "".join(answer["source"]) == "YOUR ANSWER HERE"
    assert nbgrader_meta(answer)["points"] == SETTINGS.statement_points == 0
    assert "Grace Hopper" not in json.dumps(nb), "the instructor's example answer leaked"


def test_the_statement_follows_the_release_settings(source: Path, tmp_path: Path) -> None:
    """Wording and points come from release.yaml at release time, into the student
    notebook and into nbgrader's source copy (what formgrader grades against)."""
    other = dataclasses.replace(SETTINGS, statement_wording="**Who helped?** List them.",
                                statement_points=1)
    course = tmp_path / "course"
    files = notebook_files(source, course, other)
    for notebook in (json.loads(files[f"notebooks/{ASSIGNMENT}"]),
                     json.loads((course / "source" / SETTINGS.nbgrader.assignment_id /
                                 ASSIGNMENT).read_text())):
        cells = {cell["id"]: cell for cell in notebook["cells"]}
        assert "".join(cells["collaboration-question"]["source"]) == \
            "**Who helped?** List them.\n\n*(1 point)*"
        assert nbgrader_meta(cells["collaboration-statement"])["points"] == 1


# ------------------------------------------------------------------ determinism
def test_rebuild_is_byte_identical_and_keeps_the_earlier_release(source: Path, built,
                                                                 tmp_path: Path) -> None:
    first = tree_bytes(built.out_dir)
    first_zip = built.zip_path.read_bytes()
    again = build_release(source, built.out_dir, course_dir=built.course_dir,
                          make_zip=True, say=QUIET,
                         allow_placeholder_url=True)
    assert again.previous == built.out_dir.with_name("student.prev")
    assert tree_bytes(again.previous) == first
    assert tree_bytes(again.out_dir) == first
    assert again.zip_path.read_bytes() == first_zip
    assert again.previous_zip is not None and again.previous_zip.read_bytes() == first_zip
    stamps = {path.stat().st_mtime for path in again.out_dir.rglob("*")}
    assert stamps == {SETTINGS.timestamp}


def test_a_leak_in_the_source_rejects_the_build_and_keeps_the_earlier_release(
        source: Path, built, tmp_path: Path) -> None:
    release = built.out_dir
    earlier = tmp_path / "student"
    shutil.copytree(release, earlier)
    before = tree_bytes(earlier)
    planted = source / "ner_helpers" / "configs" / "notes.txt"
    planted.write_text("kept for later\n### BEGIN HIDDEN TESTS\n")
    try:
        with pytest.raises(KitError) as failure:
            build_release(source, earlier, course_dir=built.course_dir, say=QUIET,
                          allow_placeholder_url=True)
    finally:
        planted.unlink()
    message = str(failure.value)
    assert "ner_helpers/configs/notes.txt:2: marker" in message
    assert tree_bytes(earlier) == before
    assert (tmp_path / "student.rejected" / "ner_helpers" / "configs" / "notes.txt").is_file()


# ------------------------------------------------------------------ round trip
ROUND_TRIP = """
import json, ner_helpers
from ner_helpers.checks import TODOS, run_check
results = {n: (r.passed, str(r.failure) if r.failure else r.line())
           for n, r in ((n, run_check(n)) for n in TODOS)}
print(json.dumps({"package": list(ner_helpers.__path__)[0], "results": results}))
"""


def run_checks_in(folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", ROUND_TRIP], cwd=folder, env=child_env(folder),
                          capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(report["package"]).resolve() == (folder / "ner_helpers").resolve()
    return report["results"]


def test_public_checks_fail_with_their_todo_then_pass_with_the_reference(
        source: Path, release: Path, tmp_path: Path) -> None:
    for number, (passed, message) in run_checks_in(release).items():
        assert not passed
        assert message.startswith(f"TODO-{number}: ")
        assert "not implemented yet" in message or "is implemented" in message, message
    solved = tmp_path / "solved"
    shutil.copytree(release, solved)
    for name in TODO_FILES:
        shutil.copyfile(source / "ner_helpers" / name, solved / "ner_helpers" / name)
    results = run_checks_in(solved)
    assert all(passed for passed, _ in results.values()), results


def execute(path: Path, release: Path) -> tuple[nbformat.NotebookNode, CellExecutionError | None]:
    """Run a notebook of the release until its first error, as a student would."""
    nb = nbformat.read(str(path), as_version=4)
    env = child_env(release)
    env.update(NER_NOTEBOOK_QUICK="1", MPLBACKEND="Agg", HF_DATASETS_OFFLINE="1",
               HF_HUB_OFFLINE="1")
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=env)
    except CellExecutionError as error:
        return nb, error
    return nb, None


def test_student_notebooks_run_up_to_the_first_todo(release: Path, tmp_path: Path) -> None:
    work = tmp_path / "student"
    shutil.copytree(release, work)
    _, error = execute(work / "notebooks" / SETUP, work)
    assert error is None, f"setup notebook failed: {error}"
    nb, error = execute(work / "notebooks" / ASSIGNMENT, work)
    assert error is not None, "the assignment ran through although no TODO is done"
    assert error.ename in ("NotImplementedError", "NotImplementedYet"), (error.ename,
                                                                          error.evalue)
    assert "TODO-1.1-1" in error.evalue
    executed = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
    failing = [c for c in executed
               if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert len(failing) == 1 and failing[0] is executed[-1]
