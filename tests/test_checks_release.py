"""The public checks against a released package: every solution replaced by its
stub, as students receive it. Runs the real `ner-kit check` command and a real
Jupyter kernel on a copy of the package with the solutions stripped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.release.markers import strip_solutions

ROOT = Path(__file__).resolve().parents[1]
#: One worker runs the module, so the released copy is built once.
pytestmark = pytest.mark.xdist_group("checks_release")


def released_package(target: Path) -> Path:
    """Copy ner_helpers into ``target`` with every solution region stubbed."""
    package = target / "ner_helpers"
    shutil.copytree(ROOT / "ner_helpers", package,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in package.rglob("*.py"):
        path.write_text(strip_solutions(path.read_text(), str(path)))
    return target


def environment(project: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(project)}


def run_check(project: Path, *todos: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ner_helpers.cli.main", "check", *todos],
                          cwd=project, env=environment(project), capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return released_package(tmp_path_factory.mktemp("release"))


def test_every_todo_of_a_fresh_release_is_not_implemented_yet(release):
    done = run_check(release)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines == [
        "TODO-1.1-1: not implemented yet (Tokenizer.tokenize in ner_helpers/tokenizer.py)",
        "TODO-1.2-1: not implemented yet (DataCollator.__call__ in ner_helpers/collator.py)",
        "TODO-2-1: not implemented yet (TokenEmbedding.__init__ in ner_helpers/embedding.py)",
        "TODO-2-2: cannot be checked until TODO-2-1 is implemented (it raises "
        "NotImplementedError)",
        "TODO-3-1: not implemented yet (Trainer._train_epoch in ner_helpers/trainer.py)",
        "TODO-3-2: not implemented yet (Trainer._eval_epoch in ner_helpers/trainer.py)",
        "TODO-4-1: not implemented yet (FFNN.__init__ in ner_helpers/ffnn.py)",
        "TODO-4-2: cannot be checked until TODO-4-1 is implemented (it raises "
        "NotImplementedError)",
        "TODO-5-1: not implemented yet (RNN.__init__ in ner_helpers/rnn.py)",
        "TODO-5-2: cannot be checked until TODO-5-1 is implemented (it raises "
        "NotImplementedError)",
        # the copy holds every file, those of optional sections 7 and 8 too
        "TODO-7-1: not implemented yet (CNNTagger.forward in ner_helpers/cnn.py)",
        "TODO-7-2: not implemented yet (align_vectors in ner_helpers/vectors.py)",
        "TODO-8-1: not implemented yet (first_piece_labels in ner_helpers/encoder.py)",
        "13 of 13 TODOs do not pass yet",
    ]
    assert "Traceback" not in done.stdout + done.stderr


def test_a_crash_in_student_code_shows_the_students_line(tmp_path):
    project = released_package(tmp_path)
    path = project / "ner_helpers" / "tokenizer.py"
    source = path.read_text()
    stub = next(line for line in source.splitlines() if "TODO-1.1-1: not implemented" in line)
    indent = stub[: len(stub) - len(stub.lstrip())]
    path.write_text(source.replace(stub, f"{indent}ids = [self.token2id[t] for t in input_seq]"))
    done = run_check(project, "1.1-1")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == ("FAIL TODO-1.1-1: KeyError: 't' (while checking "
                        "tokenizer.tokenize('the cat sat'))")
    assert lines[1].startswith("  ner_helpers/tokenizer.py, line ")
    assert lines[1].endswith("in tokenize: ids = [self.token2id[t] for t in input_seq]")


def test_a_notebook_cell_shows_a_short_error_and_fails(release, monkeypatch):
    """In Jupyter a failed check is an error output (so nbgrader counts the test cell
    as failed) whose traceback is the one-line message, not a wall of frames."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("from ner_helpers.checks import check"),
                      nbformat.v4.new_code_cell('check("1.2-1")'),
                      nbformat.v4.new_code_cell('print("next cell runs")')]
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(release)}})
    monkeypatch.setenv("PYTHONPATH", str(release))  # the kernel imports the released package
    client.execute()
    (error,) = notebook.cells[1].outputs
    assert error.output_type == "error"
    assert error.ename == "NotImplementedYet"
    assert error.traceback == [
        "TODO-1.2-1: not implemented yet (DataCollator.__call__ in ner_helpers/collator.py)"]
    assert notebook.cells[2].outputs[0].text == "next cell runs\n"
