"""The leak check: every kind of leak planted into a built release is found and named.

One clean release is built per module (as ``ner-instructor release`` does); each
test copies it, plants one kind of leak and runs the check against the source
tree it was built from.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_release_support import ASSIGNMENT, copy_source_tree

from autograder.release.builder import build_release
from autograder.release.instructor_secrets import collect_secrets
from autograder.release.leak_check import Leak, find_leaks, hidden_labels_path
from autograder.release.markers import find_regions
from autograder.release.notebook_regions import nbgrader_meta
from autograder.release.secret_lines import is_trivial
from autograder.release.settings import load_release_settings
from ner_helpers.config import kit_config

SETTINGS = load_release_settings()
pytestmark = pytest.mark.xdist_group("release-leak-check")


def quiet(message: str) -> None:
    """Progress messages are not shown in tests."""


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_source_tree(tmp_path_factory.mktemp("source") / "kit")
    hidden_tests = root / SETTINGS.leak.hidden_tests_dir
    if not any(hidden_tests.glob("test_*.py")):  # the grader's hidden tests are not there yet
        hidden_tests.mkdir(parents=True, exist_ok=True)
        (hidden_tests / "test_tokenizer_hidden.py").write_text(
            "def test_truncates_on_the_left(tokenizer):\n"
            "    out = tokenizer.tokenize('a b c', max_length=2, truncation_side='left')\n"
            "    assert out['input_ids'].tolist() == [3, 4], 'left truncation keeps the end'\n")
    return root


@pytest.fixture(scope="module")
def clean(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "student"
    return build_release(source, out, course_dir=tmp_path_factory.mktemp("course"),
                         say=quiet, allow_placeholder_url=True).out_dir


@pytest.fixture
def release(clean: Path, tmp_path: Path) -> Path:
    """A fresh copy of the clean release to plant leaks into."""
    copy = tmp_path / "student"
    shutil.copytree(clean, copy)
    return copy


def leaks(release: Path, source: Path) -> list[Leak]:
    return find_leaks(release, source, SETTINGS, kit_config())


def kinds_at(found: list[Leak], path: str) -> set[str]:
    return {leak.kind for leak in found if leak.path == path}


def insert_line(path: Path, number: int, text: str) -> None:
    """Put ``text`` in as the 1-based line ``number`` of ``path``."""
    lines = path.read_text().splitlines()
    lines.insert(number - 1, text)
    path.write_text("\n".join(lines) + "\n")


def first_solution_line(source: Path, name: str) -> str:
    text = (source / "ner_helpers" / name).read_text()
    region = find_regions(text)[0]
    return text.splitlines()[region.begin_line + 1]


def stub_line_number(path: Path) -> int:
    lines = path.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if "raise NotImplementedError(\"TODO-" in line)


def secret_of_kind(source: Path, kind: str) -> str:
    secrets = collect_secrets(source, SETTINGS, hidden_labels_path(source, kit_config()))
    return next(line for line, origin in secrets.lines.items() if origin.endswith(f"({kind})"))


# ------------------------------------------------------------------ rules in isolation
@pytest.mark.parametrize("line", ["return x", "pass", ")", "],", "})", "else:", "return batch",
                                  "raise", "  continue  ", "return self.hidden_states"])
def test_trivial_lines_are_not_secrets(line: str) -> None:
    assert is_trivial(line, SETTINGS.leak.min_chars)


@pytest.mark.parametrize("line", ["return self.embedding(input_ids)",
                                  "hidden = self.f[k](layer(hidden))",
                                  "self.V = nn.Linear(hidden_dim, output_dim)"])
def test_code_lines_are_not_trivial(line: str) -> None:
    assert not is_trivial(line, SETTINGS.leak.min_chars)


# ------------------------------------------------------------------ the clean release
@pytest.mark.slow
def test_a_clean_release_passes(clean: Path, source: Path) -> None:
    assert leaks(clean, source) == []


@pytest.mark.slow
def test_secrets_cover_package_solutions_notebook_answers_and_hidden_tests(source: Path) -> None:
    secrets = collect_secrets(source, SETTINGS, hidden_labels_path(source, kit_config()))
    origins = " ".join(secrets.lines.values())
    for todo in ("1.1-1", "1.2-1", "2-1", "2-2", "3-1", "3-2", "4-1", "4-2", "5-1", "5-2"):
        assert f"solution of TODO-{todo})" in origins, todo
    assert "(hidden test)" in origins
    assert f"notebooks/{ASSIGNMENT} cell" in origins
    # lines that also occur outside solution regions are public
    assert "with torch.no_grad():" not in secrets.lines


# ------------------------------------------------------------------ solution lines
@pytest.mark.slow
def test_a_solution_line_in_a_package_file_is_found_with_file_and_line(
        release: Path, source: Path) -> None:
    target = release / "ner_helpers" / "tokenizer.py"
    number = stub_line_number(target)
    insert_line(target, number, first_solution_line(source, "tokenizer.py"))
    found = leaks(release, source)
    assert [(leak.path, leak.where, leak.kind) for leak in found] == [
        ("ner_helpers/tokenizer.py", str(number), "secret line")]
    assert "ner_helpers/tokenizer.py:" in found[0].detail and "TODO-1.1-1" in found[0].detail
    assert str(found[0]).startswith(f"ner_helpers/tokenizer.py:{number}: secret line: ")


@pytest.mark.slow
def test_a_solution_line_in_any_other_file_is_found(release: Path, source: Path) -> None:
    readme = release / "README.md"
    readme.write_text(readme.read_text() + "\n    " + first_solution_line(source, "rnn.py")
                      + "\n")
    found = leaks(release, source)
    assert kinds_at(found, "README.md") == {"secret line"}
    assert len(found) == 1


@pytest.mark.slow
def test_trivial_and_public_lines_are_not_leaks(release: Path, source: Path) -> None:
    target = release / "ner_helpers" / "collator.py"
    for text in ("        return batch", "        )", "        else:",
                 "        with torch.no_grad():", "        rows = []"):
        insert_line(target, stub_line_number(target), text)
    assert leaks(release, source) == []


# ------------------------------------------------------------------ markers
@pytest.mark.slow
def test_solution_and_hidden_test_markers_are_found(release: Path, source: Path) -> None:
    target = release / "ner_helpers" / "ffnn.py"
    number = stub_line_number(target)
    insert_line(target, number, "        ### BEGIN SOLUTION")
    nb_path = release / "notebooks" / ASSIGNMENT
    nb = nbformat.read(str(nb_path), as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells[index].source = "### BEGIN HIDDEN TESTS\n" + nb.cells[index].source
    nbformat.write(nb, str(nb_path))
    found = {(leak.path, leak.where, leak.kind) for leak in leaks(release, source)}
    assert ("ner_helpers/ffnn.py", str(number), "marker") in found
    assert (f"notebooks/{ASSIGNMENT}", f"cell {index + 1} line 1", "marker") in found


# ------------------------------------------------------------------ hidden tests
@pytest.mark.slow
def test_a_hidden_test_file_is_found_under_any_name(release: Path, source: Path) -> None:
    hidden = sorted((source / SETTINGS.leak.hidden_tests_dir).glob("test_*.py"))[0]
    shutil.copyfile(hidden, release / "ner_helpers" / "checks" / "extra_checks.py")
    found = leaks(release, source)
    kinds = kinds_at(found, "ner_helpers/checks/extra_checks.py")
    assert {"copy of an instructor file", "secret line"} <= kinds
    assert any(SETTINGS.leak.hidden_tests_dir in leak.detail for leak in found)


@pytest.mark.slow
def test_a_hidden_tests_folder_is_found_by_name(release: Path, source: Path) -> None:
    folder = release / "hidden_tests"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing secret\n")
    assert kinds_at(leaks(release, source), "hidden_tests/notes.txt") == {"instructor-only name"}


@pytest.mark.slow
def test_one_hidden_test_line_in_a_notebook_is_found(release: Path, source: Path) -> None:
    line = secret_of_kind(source, "hidden test")
    nb_path = release / "notebooks" / ASSIGNMENT
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells[0].source += "\n" + line
    nbformat.write(nb, str(nb_path))
    found = leaks(release, source)
    assert [(leak.path, leak.kind) for leak in found] == [(f"notebooks/{ASSIGNMENT}",
                                                           "secret line")]
    assert found[0].where.startswith("cell 1 line ")


# ------------------------------------------------------------------ hidden labels
def hidden_rows(source: Path) -> list[dict]:
    return json.loads(hidden_labels_path(source, kit_config()).read_text())


@pytest.mark.slow
def test_labels_in_the_test_split_are_found(release: Path, source: Path) -> None:
    path = release / "dataset" / "test.json"
    rows = json.loads(path.read_text())
    for row, labels in zip(rows, hidden_rows(source)):
        row["NER"] = labels["NER"]
    path.write_text("[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]\n")
    found = leaks(release, source)
    assert [(leak.path, leak.where, leak.kind) for leak in found] == [
        ("dataset/test.json", "2", "hidden labels")]


@pytest.mark.slow
def test_the_hidden_labels_file_is_found_by_bytes_shape_and_name(release: Path,
                                                                  source: Path) -> None:
    hidden = hidden_labels_path(source, kit_config())
    shutil.copyfile(hidden, release / "dataset" / "extra.json")
    (release / "ner_helpers" / "test_labels.json").write_text("[]\n")
    (release / "dataset" / "hidden_labels_2024.json").write_text("[]\n")
    found = leaks(release, source)
    assert kinds_at(found, "dataset/extra.json") == {"copy of an instructor file",
                                                     "hidden labels"}
    assert kinds_at(found, "ner_helpers/test_labels.json") == {"instructor-only name"}
    assert kinds_at(found, "dataset/hidden_labels_2024.json") == {"instructor-only name"}


@pytest.mark.slow
def test_a_labelled_copy_of_the_test_split_is_found(release: Path, source: Path) -> None:
    rows = json.loads((release / "dataset" / "test.json").read_text())
    for row, labels in zip(rows, hidden_rows(source)):
        row["NER"] = labels["NER"]
    (release / "dataset" / "more_training.json").write_text(json.dumps(rows, indent=2))
    found = leaks(release, source)
    assert kinds_at(found, "dataset/more_training.json") == {"hidden labels"}


@pytest.mark.slow
def test_other_labelled_splits_are_not_hidden_labels(release: Path, source: Path) -> None:
    shutil.copyfile(release / "dataset" / "val.json", release / "dataset" / "val_copy.json")
    assert leaks(release, source) == []


# ------------------------------------------------------------------ instructor-only files
@pytest.mark.slow
def test_instructor_only_files_are_found_by_path_name_and_bytes(release: Path,
                                                                source: Path) -> None:
    grading = source / "autograder" / "config" / "grading.yaml"
    if not grading.is_file():
        grading = source / "autograder" / "config" / "release.yaml"
    (release / "autograder").mkdir()
    shutil.copyfile(grading, release / "autograder" / grading.name)
    shutil.copyfile(grading, release / "ner_helpers" / "configs" / "weights.yaml")
    (release / "tests").mkdir()
    (release / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    (release / ".git").mkdir()
    (release / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    shutil.copyfile(source / "notebooks" / ASSIGNMENT, release / "notebooks" / "solutions.ipynb")
    found = leaks(release, source)
    assert "instructor-only path" in kinds_at(found, f"autograder/{grading.name}")
    assert kinds_at(found, "ner_helpers/configs/weights.yaml") == {"copy of an instructor file"}
    assert kinds_at(found, "tests/test_x.py") == {"instructor-only path"}
    assert kinds_at(found, ".git/HEAD") == {"instructor-only path"}
    assert "copy of an instructor file" in kinds_at(found, "notebooks/solutions.ipynb")


@pytest.mark.slow
def test_a_link_is_found(release: Path, source: Path) -> None:
    (release / "ner_helpers" / "reference").symlink_to(source / "ner_helpers")
    assert kinds_at(leaks(release, source), "ner_helpers/reference") == {"link"}


# ------------------------------------------------------------------ notebook cells
@pytest.mark.slow
def test_an_unstripped_solution_cell_is_found(release: Path, source: Path) -> None:
    instructor = nbformat.read(str(source / "notebooks" / ASSIGNMENT), as_version=4)
    answers = {nbgrader_meta(c)["grade_id"]: c.source for c in instructor.cells
               if nbgrader_meta(c).get("solution")}
    nb_path = release / "notebooks" / ASSIGNMENT
    nb = nbformat.read(str(nb_path), as_version=4)
    index = next(i for i, c in enumerate(nb.cells)
                 if nbgrader_meta(c).get("solution") and nbgrader_meta(c)["grade_id"] in answers)
    grade_id = nbgrader_meta(nb.cells[index])["grade_id"]
    nb.cells[index].source = answers[grade_id]
    nbformat.write(nb, str(nb_path))
    found = [leak for leak in leaks(release, source) if leak.kind == "unstripped solution cell"]
    assert [(leak.path, leak.where) for leak in found] == [(f"notebooks/{ASSIGNMENT}",
                                                            f"cell {index + 1}")]
    assert grade_id in found[0].detail


# ------------------------------------------------------------------ the command
@pytest.mark.slow
def test_leak_check_command_passes_a_clean_release_and_fails_a_leaky_one(
        clean: Path, release: Path, source: Path) -> None:
    command = [sys.executable, "-m", "autograder.cli.main", "leak-check", "--root", str(source)]
    done = subprocess.run([*command, str(clean)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "leak check passed" in done.stdout
    target = release / "ner_helpers" / "embedding.py"
    number = stub_line_number(target)
    insert_line(target, number, first_solution_line(source, "embedding.py"))
    done = subprocess.run([*command, str(release)], capture_output=True, text=True)
    assert done.returncode == 1
    assert f"ner_helpers/embedding.py:{number}: secret line:" in done.stderr
    assert "Traceback" not in done.stderr
