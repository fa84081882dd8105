"""Helpers of the release and nbgrader tests (no tests in this module).

Releases are built from a copy of the instructor's source tree in a temporary
folder, with the dataset built there from the bundled sample corpus, so the
tests never write into the project. When the instructor notebooks do not exist
yet, small notebooks with the same kinds of nbgrader cells stand in for them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import nbformat

from ner_helpers.data.build import build_dataset

REPO = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "hidden")
ASSIGNMENT = "assignment.ipynb"
SETUP = "setup.ipynb"

#: Secret texts of the stand-in notebook, looked for by the tests.
STANDIN_SOLUTION = "return sorted(set(words), key=words.index)"
STANDIN_HIDDEN_TEST = 'assert unique_words(["b", "a", "b"]) == ["b", "a"], "order matters"'
STANDIN_MODEL_ANSWER = "Dynamic padding pads each batch only to its longest sentence."


def nbgrader_cell(kind: str, source: str, grade_id: str, **flags: Any) -> Any:
    """A cell with nbgrader metadata (schema 3); ``flags`` set solution/grade/locked/points."""
    meta = {"grade_id": grade_id, "schema_version": 3, "solution": False, "grade": False,
            "locked": False, "task": False, **flags}
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source, metadata={"nbgrader": meta})
    cell["id"] = grade_id
    return cell


def standin_assignment() -> Any:
    """A small instructor notebook with every kind of nbgrader cell the kit uses."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    first = nbformat.v4.new_code_cell(
        "from ner_helpers.tokenizer import Tokenizer\n"
        'tokenizer = Tokenizer().train([{"text": ["a", "b", "a"]}], min_freq=1)\n'
        'tokenizer.tokenize("a b")')
    first["id"] = "first-todo"
    nb.cells = [
        nbgrader_cell("markdown", "# Stand-in assignment", "intro", locked=True),
        first,
        nbgrader_cell("code", "def unique_words(words):\n    ### BEGIN SOLUTION\n    "
                      f"{STANDIN_SOLUTION}\n    ### END SOLUTION", "unique-words",
                      solution=True),
        nbgrader_cell("code", 'assert unique_words(["a", "a"]) == ["a"]\n'
                      f"### BEGIN HIDDEN TESTS\n{STANDIN_HIDDEN_TEST}\n"
                      "### END HIDDEN TESTS", "test-unique-words", grade=True, locked=True,
                      points=2),
        nbgrader_cell("markdown", "Why does dynamic padding help?", "question", locked=True),
        nbgrader_cell("markdown", STANDIN_MODEL_ANSWER, "answer-padding", solution=True,
                      grade=True, points=3),
    ]
    for number, cell in enumerate(nb.cells):
        cell["id"] = cell["id"] if cell.get("id") else f"cell-{number}"
    return nb


def standin_setup() -> Any:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    cell = nbformat.v4.new_code_cell("import ner_helpers\nprint(ner_helpers.__version__)")
    cell["id"] = "setup-import"
    nb.cells = [cell]
    return nb


def real_notebooks_exist() -> bool:
    return all((REPO / "notebooks" / name).is_file() for name in (ASSIGNMENT, SETUP))


def copy_source_tree(dest: Path) -> Path:
    """A copy of the instructor's source tree at ``dest``, with a dataset built from the sample.

    Returns ``dest``. The real notebooks are used when they exist, else stand-ins.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for folder in ("ner_helpers", "autograder"):
        shutil.copytree(REPO / folder, dest / folder, ignore=IGNORE)
    for name in ("pyproject.toml", "environment.yml"):
        shutil.copyfile(REPO / name, dest / name)
    notebooks = dest / "notebooks"
    notebooks.mkdir()
    if real_notebooks_exist():
        for name in (ASSIGNMENT, SETUP):
            shutil.copyfile(REPO / "notebooks" / name, notebooks / name)
    else:
        nbformat.write(standin_assignment(), str(notebooks / ASSIGNMENT))
        nbformat.write(standin_setup(), str(notebooks / SETUP))
    build_dataset(None, dest / "dataset", dest / "autograder" / "hidden" / "test_labels.json")
    return dest


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """``relative path -> bytes`` of every file under ``folder``."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def read_rows(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))
