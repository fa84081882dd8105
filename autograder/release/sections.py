"""The optional sections of the assignment: what each brings, and whether it is on.

``optional_sections`` in ``release.yaml`` names each section the kit offers
beyond the core homework (sweeps, word vectors and taggers, a pretrained
encoder). An instructor turns one on or off with its ``enabled`` flag; an off
section leaves nothing in the student release:

- its ``package`` paths (relative to the helper package) are not shipped;
- its ``files`` (other paths of the source tree) are not shipped;
- its ``extras`` (optional dependencies) are not in the student pyproject;
- its notebook cells (cells whose metadata holds ``ner_kit.section: NAME``,
  see ``notebooks/build/cells.py``) are dropped before nbgrader generates the
  student notebooks;
- its graded ``todos`` are not graded.

The leak check refuses a release that holds any of these for an off section.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ner_helpers.errors import KitError

#: The notebook cell metadata key that names a cell's optional section.
CELL_METADATA_KEY = "ner_kit"
SECTION_FIELDS = ("enabled", "title", "package", "files", "extras", "todos")


@dataclass(frozen=True)
class OptionalSection:
    """One entry of ``optional_sections``."""

    name: str
    enabled: bool
    title: str
    #: Paths relative to the helper package that belong to this section only.
    package: tuple[str, ...]
    #: Other paths of the source tree, shipped unchanged when the section is on.
    files: tuple[str, ...]
    #: Optional dependencies of the student project: extra name -> requirements.
    extras: dict[str, tuple[str, ...]]
    #: The graded TODO ids of the section (``TODO-7-1``).
    todos: tuple[str, ...]


def _strings(value: Any, key: str, where: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise KitError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _section(name: str, entry: Any, where: Path) -> OptionalSection:
    key = f"optional_sections.{name}"
    if not isinstance(entry, dict):
        raise KitError(f"{where}: {key} must be a mapping")
    unknown = sorted(set(entry) - set(SECTION_FIELDS))
    if unknown:
        raise KitError(f"{where}: {key} has unknown setting(s) {', '.join(unknown)} "
                       f"(known: {', '.join(SECTION_FIELDS)})")
    enabled = entry.get("enabled", False)
    if not isinstance(enabled, bool):
        raise KitError(f"{where}: {key}.enabled must be true or false, not {enabled!r}")
    extras = entry.get("extras") or {}
    if not isinstance(extras, dict):
        raise KitError(f"{where}: {key}.extras must be a mapping of extra name to requirements")
    return OptionalSection(
        name=name,
        enabled=enabled,
        title=str(entry.get("title") or name),
        package=_strings(entry.get("package"), f"{key}.package", where),
        files=_strings(entry.get("files"), f"{key}.files", where),
        extras={str(extra): _strings(deps, f"{key}.extras.{extra}", where)
                for extra, deps in extras.items()},
        todos=_strings(entry.get("todos"), f"{key}.todos", where),
    )


def parse_sections(data: Any, where: Path) -> dict[str, OptionalSection]:
    """The ``optional_sections`` mapping of a settings file, checked."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KitError(f"{where}: optional_sections must be a mapping of section names")
    return {str(name): _section(str(name), entry, where) for name, entry in data.items()}


def enabled_todos(sections: dict[str, OptionalSection]) -> list[str]:
    """The graded TODOs of the sections that are on."""
    return [todo for section in sections.values() if section.enabled for todo in section.todos]


def disabled_todos(sections: dict[str, OptionalSection]) -> list[str]:
    """The graded TODOs of the sections that are off."""
    return [todo for section in sections.values() if not section.enabled
            for todo in section.todos]


def _under(rel: str, prefixes: Iterable[str]) -> str | None:
    for prefix in prefixes:
        prefix = prefix.strip("/")
        if rel == prefix or rel.startswith(prefix + "/"):
            return prefix
    return None


def off_section_of_path(rel: str, package: str,
                        sections: dict[str, OptionalSection]) -> OptionalSection | None:
    """The off section that path ``rel`` (relative to the tree root) belongs to, if any."""
    for section in sections.values():
        if section.enabled:
            continue
        package_paths = [f"{package}/{path.strip('/')}" for path in section.package]
        if _under(rel, package_paths) or _under(rel, section.files):
            return section
    return None


def cell_section(cell: dict[str, Any]) -> str | None:
    """The optional section a notebook cell belongs to (``None`` for core cells)."""
    meta = (cell.get("metadata") or {}).get(CELL_METADATA_KEY)
    if isinstance(meta, dict) and isinstance(meta.get("section"), str):
        return meta["section"]
    return None


def notebook_without_off_sections(text: str, sections: dict[str, OptionalSection],
                                  where: str) -> str:
    """The notebook JSON ``text`` without the cells of off (or unknown) sections."""
    notebook = json.loads(text)
    if not any(cell_section(cell) is not None for cell in notebook.get("cells", [])):
        return text
    kept = []
    for cell in notebook.get("cells", []):
        name = cell_section(cell)
        if name is not None and name not in sections:
            raise KitError(f"{where}: cell {cell.get('id')!r} belongs to section {name!r}, "
                           f"which optional_sections does not list")
        if name is None or sections[name].enabled:
            kept.append(cell)
    notebook["cells"] = kept
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
