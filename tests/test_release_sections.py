"""Optional sections: an off section leaves no file, cell or extra in the release.

A copy of the source tree gets a stand-in section: a package module, a shipped
data file, an extra and a notebook cell marked with the section's name. The
release is built with the section off, then on.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import tomllib
import yaml
from test_release_support import ASSIGNMENT, copy_source_tree

from autograder.grader.settings import default_settings_path, load_settings
from autograder.release.builder import build_release
from autograder.release.leak_check import find_leaks
from autograder.release.sections import (
    OptionalSection,
    disabled_todos,
    enabled_todos,
    notebook_without_off_sections,
    parse_sections,
)
from autograder.release.settings import DEFAULT_SETTINGS_PATH as RELEASE_YAML
from autograder.release.settings import load_release_settings
from ner_helpers.errors import KitError

SETTINGS = load_release_settings()
SECTION = "demo-section"
CELL_ID = "demo-section-intro"


def QUIET(message: str) -> None:  # noqa: N802 (a constant-like callable)
    """Progress messages are not shown in tests."""


def with_section(enabled: bool):
    section = OptionalSection(name=SECTION, enabled=enabled, title="9 A stand-in section",
                              package=("section_demo.py",), files=("extras_data",),
                              extras={"demo": ("tabulate>=0.9",)}, todos=("TODO-9-1",))
    return dataclasses.replace(SETTINGS,
                               optional_sections={**SETTINGS.optional_sections, SECTION: section})


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_source_tree(tmp_path_factory.mktemp("source") / "kit")
    (root / "ner_helpers" / "section_demo.py").write_text('"""A stand-in section module."""\n')
    (root / "extras_data").mkdir()
    (root / "extras_data" / "study.csv").write_text("trial,f1\n0,0.5\n")
    notebook_path = root / "notebooks" / ASSIGNMENT
    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    notebook["cells"].append({"cell_type": "markdown", "id": CELL_ID,
                              "metadata": {"ner_kit": {"section": SECTION}},
                              "source": ["## 9 A stand-in section\n", "Plots of a study."]})
    notebook_path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return root


def build(source: Path, folder: Path, enabled: bool) -> Path:
    return build_release(source, folder / "student", course_dir=folder / "course",
                         settings=with_section(enabled), say=QUIET,
                         allow_placeholder_url=True).out_dir


def cell_ids(release: Path) -> set[str]:
    notebook = json.loads((release / "notebooks" / ASSIGNMENT).read_text(encoding="utf-8"))
    return {cell.get("id") for cell in notebook["cells"]}


def extras(release: Path) -> dict:
    pyproject = tomllib.loads((release / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"]["optional-dependencies"]


@pytest.mark.slow
@pytest.mark.xdist_group("release")
def test_an_off_section_leaves_nothing_and_an_on_section_ships_everything(
        source: Path, tmp_path: Path) -> None:
    off = build(source, tmp_path / "off", enabled=False)
    assert not (off / "ner_helpers" / "section_demo.py").exists()
    assert not (off / "extras_data").exists()
    assert CELL_ID not in cell_ids(off)
    assert "demo" not in extras(off)
    assert "notebook" in extras(off)

    on = build(source, tmp_path / "on", enabled=True)
    assert (on / "ner_helpers" / "section_demo.py").is_file()
    assert (on / "extras_data" / "study.csv").read_text() == "trial,f1\n0,0.5\n"
    assert CELL_ID in cell_ids(on)
    assert extras(on)["demo"] == ["tabulate>=0.9"]

    # The release built with the section on holds, for a course that has it off,
    # a file, a cell and an extra of an off section: the leak check names each.
    leaks = find_leaks(on, source, with_section(False))
    found = {(leak.path, leak.kind) for leak in leaks}
    assert ("ner_helpers/section_demo.py", "off section") in found
    assert ("extras_data/study.csv", "off section") in found
    assert (f"notebooks/{ASSIGNMENT}", "off section") in found
    assert ("pyproject.toml", "off section") in found
    assert find_leaks(on, source, with_section(True)) == []


def test_cells_of_off_sections_are_dropped_and_unknown_sections_refused() -> None:
    cells = [{"id": "core", "metadata": {}},
             {"id": "on-cell", "metadata": {"ner_kit": {"section": "a"}}},
             {"id": "off-cell", "metadata": {"ner_kit": {"section": "b"}}}]
    sections = parse_sections({"a": {"enabled": True}, "b": {"enabled": False}}, Path("r.yaml"))
    kept = json.loads(notebook_without_off_sections(json.dumps({"cells": cells}), sections,
                                                    "nb.ipynb"))
    assert [cell["id"] for cell in kept["cells"]] == ["core", "on-cell"]
    core_only = json.dumps({"cells": cells[:1]})
    assert notebook_without_off_sections(core_only, sections, "nb.ipynb") == core_only
    with pytest.raises(KitError, match="nb.ipynb: cell 'on-cell' belongs to section 'a'"):
        notebook_without_off_sections(json.dumps({"cells": cells}), {}, "nb.ipynb")


def test_section_settings_are_checked_and_todos_follow_the_switch() -> None:
    where = Path("release.yaml")
    sections = parse_sections({"a": {"enabled": True, "todos": ["TODO-7-1"]},
                               "b": {"todos": ["TODO-8-1"]}}, where)
    assert enabled_todos(sections) == ["TODO-7-1"]
    assert disabled_todos(sections) == ["TODO-8-1"]
    for bad, message in (({"a": {"enabled": "yes"}}, "optional_sections.a.enabled must be"),
                         ({"a": {"colour": 1}}, "unknown setting"),
                         ({"a": {"package": "sweep"}}, "optional_sections.a.package must be"),
                         (["a"], "must be a mapping")):
        with pytest.raises(KitError, match=message):
            parse_sections(bad, where)


def test_the_shipped_settings_list_the_three_sections() -> None:
    assert set(SETTINGS.optional_sections) >= {"sweeps", "vectors-and-taggers", "encoder"}


# ------------------------------------------------------------------ grading follows the switch
def grading_files(folder: Path, enabled: bool, todo: str = "TODO-9-1") -> Path:
    """A grading.yaml with the points of a section's TODO, and a release.yaml beside it."""
    grading = yaml.safe_load(default_settings_path().read_text(encoding="utf-8"))
    grading["todos"]["TODO-9-1"] = {"title": "Demo.forward", "tests": {"output_shape": 1}}
    release = yaml.safe_load(RELEASE_YAML.read_text(encoding="utf-8"))
    release["optional_sections"] = {SECTION: {"enabled": enabled, "todos": [todo]}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grading.yaml").write_text(yaml.safe_dump(grading), encoding="utf-8")
    (folder / "release.yaml").write_text(yaml.safe_dump(release), encoding="utf-8")
    return folder / "grading.yaml"


def test_a_section_todo_is_graded_in_final_submissions_only_when_the_section_is_on(
        tmp_path: Path) -> None:
    core = load_settings().kind("final").todos
    on = load_settings(grading_files(tmp_path / "on", enabled=True))
    assert on.kind("final").todos == (*core, "TODO-9-1")
    assert "TODO-9-1" not in on.kind("milestone").todos
    off = load_settings(grading_files(tmp_path / "off", enabled=False))
    assert off.kind("final").todos == core
    assert off.max_score("final") == on.max_score("final") - 1
    with pytest.raises(KitError, match="optional_sections.demo-section.todos: TODO-9-9 has no"):
        load_settings(grading_files(tmp_path / "bad", enabled=True, todo="TODO-9-9"))
