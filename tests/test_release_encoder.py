"""The encoder section in the student release: off (the default) it leaves no module,
config, cell or extra, and the kit works without transformers; on, it ships the section
with TODO-8-1 stubbed, and the leak check passes."""

from __future__ import annotations

import dataclasses
import json
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
SECTION_FILES = ["encoder.py", "word_pieces.py", "piece_collator.py", "encoder_predictor.py",
                 "cli/pieces_command.py", "checks/encoder_checks.py", "configs/encoder.yaml"]


def QUIET(message: str) -> None:  # noqa: N802 (a constant-like callable)
    """Progress messages are not shown in tests."""


def settings(enabled: bool):
    sections = dict(SETTINGS.optional_sections)
    sections["encoder"] = dataclasses.replace(sections["encoder"], enabled=enabled)
    return dataclasses.replace(SETTINGS, optional_sections=sections)


def section_cells(release: Path) -> list[str]:
    notebook = json.loads((release / "notebooks" / ASSIGNMENT).read_text(encoding="utf-8"))
    return [cell["id"] for cell in notebook["cells"]
            if cell.get("metadata", {}).get("ner_kit", {}).get("section") == "encoder"
            or str(cell.get("id", "")).startswith("encoder-")]


@pytest.mark.slow
@pytest.mark.xdist_group("release")
def test_the_encoder_section_off_leaves_nothing_and_on_ships_it(tmp_path_factory) -> None:
    source = copy_source_tree(tmp_path_factory.mktemp("source") / "kit")
    assert not SETTINGS.optional_sections["encoder"].enabled  # off by default
    out = tmp_path_factory.mktemp("releases")

    off = build_release(source, out / "off" / "student", course_dir=out / "off" / "course",
                        settings=settings(False), say=QUIET, allow_placeholder_url=True).out_dir
    for name in SECTION_FILES:
        assert not (off / "ner_helpers" / name).exists(), name
    assert section_cells(off) == []
    pyproject = tomllib.loads((off / "pyproject.toml").read_text(encoding="utf-8"))
    assert "encoder" not in pyproject["project"]["optional-dependencies"]
    assert "transformers" not in (off / "pyproject.toml").read_text(encoding="utf-8")
    # The released package works without the section: its commands and checks list no
    # encoder, and nothing imports transformers.
    code = ("import sys; import ner_helpers.cli.main as m; "
            "names = m.build_parser()._subparsers._group_actions[0].choices; "
            "assert 'pieces' not in names, names; "
            "from ner_helpers.checks import TODOS; assert '8-1' not in TODOS; "
            "import ner_helpers.experiment, ner_helpers.submission, ner_helpers.predictions; "
            "assert 'transformers' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=off, capture_output=True,
                          text=True, env={"PYTHONPATH": str(off), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]

    on = build_release(source, out / "on" / "student", course_dir=out / "on" / "course",
                       settings=settings(True), say=QUIET, allow_placeholder_url=True).out_dir
    for name in SECTION_FILES:
        assert (on / "ner_helpers" / name).is_file(), name
    student_file = (on / "ner_helpers" / "encoder.py").read_text(encoding="utf-8")
    assert "TODO-8-1" in student_file and "raise NotImplementedError" in student_file
    assert "BEGIN SOLUTION" not in student_file and "word == previous" not in student_file
    assert "check-8-1" in section_cells(on) and "encoder-train" in section_cells(on)
    pyproject = tomllib.loads((on / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["optional-dependencies"]["encoder"] == [
        "transformers>=4.40,<6", "tokenizers>=0.19"]
    assert find_leaks(on, source, settings(True)) == []
    assert find_leaks(off, source, settings(False)) == []
