"""Cell constructors for the notebooks, with their nbgrader metadata.

Kinds of cells (nbgrader schema version 3):

- :func:`markdown` and :func:`code`: ordinary cells, no nbgrader metadata.
- :func:`read_only`: a locked markdown cell (a question or a TODO statement);
  nbgrader restores its text when autograding.
- :func:`answer`: a manually graded written answer (solution and grade). The
  instructor's text is a model answer for the graders; the release replaces it
  with "YOUR ANSWER HERE".
- :func:`check_cell`: an autograded test cell running one public check.
- :func:`solution_code`: an ungraded code cell with a ``### BEGIN SOLUTION``
  region (the release replaces the region by a stub).

Every cell gets an explicit id; graded cells use it as their nbgrader grade_id.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

SCHEMA_VERSION = 3
CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _source(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _cell(cell_type: str, cell_id: str, text: str, nbgrader: dict[str, Any] | None) -> dict:
    if not CELL_ID.match(cell_id):
        raise ValueError(f"bad cell id {cell_id!r}")
    cell: dict[str, Any] = {"cell_type": cell_type, "id": cell_id, "metadata": {},
                            "source": _source(text)}
    if nbgrader is not None:
        cell["metadata"]["nbgrader"] = {"grade_id": cell_id, "schema_version": SCHEMA_VERSION,
                                        "task": False, **nbgrader}
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def markdown(cell_id: str, text: str) -> dict:
    return _cell("markdown", cell_id, text, None)


def code(cell_id: str, text: str) -> dict:
    return _cell("code", cell_id, text, None)


def read_only(cell_id: str, text: str) -> dict:
    return _cell("markdown", cell_id, text,
                 {"grade": False, "locked": True, "solution": False})


def answer(cell_id: str, points: int, text: str) -> dict:
    return _cell("markdown", cell_id, text,
                 {"grade": True, "locked": False, "solution": True, "points": points})


def check_cell(todo: str, points: int) -> dict:
    cell_id = "check-" + todo.replace(".", "_")
    return _cell("code", cell_id, f'check("{todo}")',
                 {"grade": True, "locked": True, "solution": False, "points": points})


def solution_code(cell_id: str, text: str) -> dict:
    return _cell("code", cell_id, text, {"grade": False, "locked": False, "solution": True})


def in_section(name: str, cells: list[dict]) -> list[dict]:
    """``cells`` marked as cells of optional section ``name`` (``optional_sections`` in
    autograder/config/release.yaml): the release drops them when the section is off."""
    for cell in cells:
        cell["metadata"]["ner_kit"] = {"section": name}
    return cells


def notebook(cells: list[dict]) -> dict:
    ids = [cell["id"] for cell in cells]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate cell ids: {duplicates}")
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                           "name": "python3"},
            "language_info": {"name": "python", "pygments_lexer": "ipython3"},
            "colab": {"provenance": []},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def colab_badge(badge_markdown: str) -> dict:
    """The first cell of a notebook: the Open-in-Colab badge."""
    return markdown("colab-badge", badge_markdown)


def colab_setup(repository_url: str, branch: str) -> dict:
    """The first code cell: Colab install and working copy, or a local report."""
    return code("colab-setup", f'''
        # Run this cell first. In Google Colab it installs the kit and prepares your
        # working copy (a minute or two the first time); anywhere else it changes
        # nothing and reports what it finds.
        import importlib.util
        import subprocess
        import sys

        REPOSITORY_URL = "{repository_url}"
        BRANCH = "{branch}"
        USE_DRIVE = False  # True: keep your working copy (your code and artefacts/) in Drive

        if "google.colab" in sys.modules and importlib.util.find_spec("ner_helpers") is None:
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                            f"git+{{REPOSITORY_URL}}@{{BRANCH}}"], check=True)
        colab = importlib.import_module("ner_helpers.colab")
        NOTEBOOK_ENV = colab.setup_notebook(REPOSITORY_URL, BRANCH, use_drive=USE_DRIVE)
        ''')
