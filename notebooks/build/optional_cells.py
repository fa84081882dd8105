"""The optional sections of the assignment notebook, appended after the core homework.

Each optional section keeps its cells in a module of this folder with a function
``cells() -> list[dict]``; :data:`SECTION_MODULES` lists them in notebook order,
keyed by their name in ``optional_sections`` of autograder/config/release.yaml.
The instructor notebook always holds every section; the release drops the cells
of the sections that are off (see autograder/release/sections.py).
"""

from __future__ import annotations

import importlib

from cells import in_section

#: Section name (release.yaml ``optional_sections``) -> module of this folder.
SECTION_MODULES: dict[str, str] = {
    "sweeps": "sweeps_cells",
    "vectors-and-taggers": "vectors_and_taggers_cells",
    "encoder": "encoder_cells",
}


def optional_sections() -> list[dict]:
    """The cells of every optional section, each marked with its section's name."""
    found: list[dict] = []
    for name, module in SECTION_MODULES.items():
        found.extend(in_section(name, importlib.import_module(module).cells()))
    return found
