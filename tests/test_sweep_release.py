"""The sweeps section in the student release: off, the commands, seeds and results are
absent and ner-kit still runs; on, all of them ship and the leak check is clean."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from test_release_support import ASSIGNMENT, REPO, copy_source_tree

from autograder.release.builder import build_release
from autograder.release.leak_check import find_leaks
from autograder.release.settings import load_release_settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("release")]
SETTINGS = load_release_settings()


def settings(enabled: bool):
    sections = dict(SETTINGS.optional_sections)
    sections["sweeps"] = dataclasses.replace(sections["sweeps"], enabled=enabled)
    return dataclasses.replace(SETTINGS, optional_sections=sections)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    root = copy_source_tree(tmp_path_factory.mktemp("source") / "kit")
    results = REPO / "notebooks" / "sweep_results"
    if results.is_dir():
        shutil.copytree(results, root / "notebooks" / "sweep_results")
    else:  # before the first make bench-sweep: a stand-in study
        (root / "notebooks" / "sweep_results" / "depth").mkdir(parents=True)
        (root / "notebooks" / "sweep_results" / "depth" / "table.md").write_text("| a |\n")
    return root


def build(source: Path, folder: Path, enabled: bool) -> Path:
    return build_release(source, folder / "student", course_dir=folder / "course",
                         settings=settings(enabled), say=lambda message: None,
                         allow_placeholder_url=True).out_dir


def cell_ids(release: Path) -> set[str]:
    notebook = json.loads((release / "notebooks" / ASSIGNMENT).read_text(encoding="utf-8"))
    return {cell.get("id") for cell in notebook["cells"]}


def commands(release: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(release)}
    done = subprocess.run([sys.executable, "-m", "ner_helpers.cli.main", "--help"], cwd=release,
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_sweeps_section_off_and_on(source, tmp_path):
    off = build(source, tmp_path / "off", enabled=False)
    assert not (off / "ner_helpers" / "sweep").exists()
    assert not (off / "ner_helpers" / "cli" / "sweep_command.py").exists()
    assert not (off / "notebooks" / "sweep_results").exists()
    assert (off / "ner_helpers" / "torch_cells.py").is_file()  # the cells are core
    assert not any(cell.startswith("sweeps-") for cell in cell_ids(off))
    extras = tomllib.loads((off / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert "sweep" not in extras
    listed = commands(off)
    assert "train" in listed and "sweep" not in listed

    on = build(source, tmp_path / "on", enabled=True)
    assert (on / "ner_helpers" / "sweep" / "seeds" / "depth.yaml").is_file()
    assert (on / "ner_helpers" / "cli" / "sweep_report_command.py").is_file()
    assert (on / "notebooks" / "sweep_results" / "depth" / "table.md").is_file()
    assert {"sweeps-title", "sweeps-rerun", "answer-6_1"} <= cell_ids(on)
    extras = tomllib.loads((on / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert extras["sweep"] == ["optuna>=4", "psycopg2-binary>=2.9"]
    assert "sweep-report" in commands(on)
    assert find_leaks(on, source, settings(True)) == []
    kinds = {(leak.path, leak.kind) for leak in find_leaks(on, source, settings(False))}
    assert ("ner_helpers/sweep/seeds/depth.yaml", "off section") in kinds
