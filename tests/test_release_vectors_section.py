"""The optional section "vectors-and-taggers" in the student release, off and on.

Off (the shipped setting): no vector, window or CNN file, no public check of its
TODOs, no notebook cell of section 7, no ``vectors`` extra; the package still
imports and its checks run, and a config asking for a CNN says the type is not part
of this release. On: the files ship with the TODO regions stubbed, the cells and the
extra are there, and the leak check finds nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from test_release_support import ASSIGNMENT, copy_source_tree

from autograder.release.builder import build_release
from autograder.release.leak_check import find_leaks
from autograder.release.settings import load_release_settings

SETTINGS = load_release_settings()
SECTION = "vectors-and-taggers"
FILES = ["vectors.py", "window.py", "cnn.py", "configs/window.yaml", "configs/cnn.yaml",
         "checks/cnn_checks.py", "checks/vectors_checks.py", "visual/tagger_comparison.py"]


def settings(enabled: bool):
    sections = dict(SETTINGS.optional_sections)
    sections[SECTION] = dataclasses.replace(sections[SECTION], enabled=enabled)
    return dataclasses.replace(SETTINGS, optional_sections=sections)


def build(source: Path, folder: Path, enabled: bool) -> Path:
    return build_release(source, folder / "student", course_dir=folder / "course",
                         settings=settings(enabled), say=lambda message: None,
                         allow_placeholder_url=True).out_dir


def in_release(release: Path, code: str) -> str:
    """Run ``code`` with the release's package, as a student's install sees it: ``-S``
    skips the .pth files of site-packages, so this kit's own editable install cannot
    supply a module the release lacks."""
    path = os.pathsep.join([str(release), *site.getsitepackages()])
    done = subprocess.run([sys.executable, "-S", "-c", code], cwd=release, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": path,
                                                      "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_section_lists_its_files_and_todos() -> None:
    section = SETTINGS.optional_sections[SECTION]
    assert sorted(section.package) == sorted(FILES)
    assert section.todos == ("TODO-7-1", "TODO-7-2")
    assert section.extras == {"vectors": ("gensim>=4.3",)}
    root = Path(__file__).resolve().parents[1] / "ner_helpers"
    assert all((root / name).is_file() for name in FILES)


@pytest.mark.slow
@pytest.mark.xdist_group("release")
def test_off_leaves_nothing_and_on_ships_the_stubs(tmp_path: Path) -> None:
    source = copy_source_tree(tmp_path / "kit")
    off = build(source, tmp_path / "off", enabled=False)
    assert [name for name in FILES if (off / "ner_helpers" / name).exists()] == []
    notebook = json.loads((off / "notebooks" / ASSIGNMENT).read_text(encoding="utf-8"))
    assert not [cell["id"] for cell in notebook["cells"] if cell["id"].startswith("s7-")]
    extras = tomllib.loads((off / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert "vectors" not in extras
    out = in_release(off, "from ner_helpers.checks import TODOS; print(sorted(TODOS))\n"
                          "from ner_helpers.model_config import ModelConfig\n"
                          "from ner_helpers.predictor import build_tagger\n"
                          "from ner_helpers.errors import KitError\n"
                          "try:\n"
                          "    build_tagger(ModelConfig('cnn', vocab_size=5))\n"
                          "except KitError as error:\n"
                          "    print(error)\n")
    assert "7-1" not in out and "4-2" in out
    assert "model_type 'cnn' is not part of this release" in out

    on = build(source, tmp_path / "on", enabled=True)
    cnn = (on / "ner_helpers" / "cnn.py").read_text(encoding="utf-8")
    assert 'raise NotImplementedError("TODO-7-1' in cnn and "conv(hidden * keep)" not in cnn
    vectors = (on / "ner_helpers" / "vectors.py").read_text(encoding="utf-8")
    assert 'raise NotImplementedError("TODO-7-2' in vectors
    notebook = json.loads((on / "notebooks" / ASSIGNMENT).read_text(encoding="utf-8"))
    assert "s7-todo-1" in {cell["id"] for cell in notebook["cells"]}
    extras = tomllib.loads((on / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert extras["vectors"] == ["gensim>=4.3"]
    out = in_release(on, "from ner_helpers.checks import TODOS; print(sorted(TODOS))")
    assert "7-1" in out and "7-2" in out
    assert find_leaks(on, source, settings(True)) == []
    assert {leak.path for leak in find_leaks(on, source, settings(False))} >= {
        "ner_helpers/cnn.py", "ner_helpers/vectors.py", f"notebooks/{ASSIGNMENT}"}
