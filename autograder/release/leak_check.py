"""The leak check: scan a built release for anything instructor-only.

A finding (:class:`Leak`) names the file, the line (or notebook cell and line)
and what leaked. The rules, in the order they are applied to each file:

1. *Instructor-only path*: the file sits under a path of ``never_ship.paths``
   (``autograder/``, ``tests/``, ``docs/``, ...) or any part of its path is a
   name of ``never_ship.names`` (``grading.yaml``, ``test_labels.json``,
   ``hidden_tests``, ...). Links are findings too (they can point anywhere).
2. *Copy of an instructor file*: its bytes equal those of a file in an
   instructor-only folder, of an instructor notebook or of the hidden labels.
3. *Marker*: a line still holds ``BEGIN SOLUTION``, ``END SOLUTION``,
   ``BEGIN HIDDEN TESTS``, ``END HIDDEN TESTS`` or ``BEGIN/END MARK SCHEME``.
4. *Secret line*: a line equal (stripped) to a non-trivial secret line of the
   source (solution code, hidden tests, mark schemes; see
   :mod:`autograder.release.secret_lines`).
5. *Unstripped solution cell*: a notebook cell whose nbgrader ``grade_id``
   names a solution cell of the instructor notebook and whose source is still
   the instructor's.
6. *Off section*: a file, notebook cell or student extra of an optional section
   that is off (``optional_sections`` in release.yaml; see
   :mod:`autograder.release.sections`).
7. *Hidden labels*: a JSON file of rows where the hidden split's file carries
   ``NER``; rows with ``NER`` but no ``text`` (the shape of the hidden labels);
   rows equal to hidden label rows; or a labelled copy of the hidden split's
   sentences under another name.

Notebooks are read cell by cell (sources and text outputs); other files line by
line when they are UTF-8 text, by name and bytes only otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from autograder.release.instructor_secrets import (
    InstructorSecrets,
    collect_secrets,
    label_row,
    read_text,
    sha256,
)
from autograder.release.notebook_regions import REGIONS, cell_source, nbgrader_meta
from autograder.release.secret_lines import normalise
from autograder.release.sections import cell_section, off_section_of_path
from autograder.release.settings import ReleaseSettings, load_release_settings
from autograder.release.tree_walk import walk_files
from ner_helpers.config import kit_config
from ner_helpers.errors import KitError

MARKER_TEXTS = tuple(text for begin, end, _ in REGIONS for text in (begin, end))


@dataclass(frozen=True)
class Leak:
    """One finding: where (file, line or cell) and what."""

    path: str
    where: str
    kind: str
    detail: str

    def __str__(self) -> str:
        location = f"{self.path}:{self.where}" if self.where else self.path
        return f"{location}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class LeakContext:
    """What one scan needs: the secrets and the settings it applies."""

    secrets: InstructorSecrets
    settings: ReleaseSettings
    hidden_split_file: str
    hidden_split_texts: frozenset[tuple[str, ...]]


def _kit_setting(kit: dict[str, Any], dotted: str) -> Any:
    node: Any = kit
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            raise KitError(f"kit.yaml has no setting {dotted!r}")
        node = node[key]
    return node


def hidden_labels_path(root: Path, kit: dict[str, Any]) -> Path:
    """Where the source tree keeps the hidden labels (``kit.yaml`` paths.hidden_labels)."""
    path = Path(_kit_setting(kit, "paths.hidden_labels"))
    return path if path.is_absolute() else root / path


def hidden_split_file(kit: dict[str, Any]) -> str:
    """The release path of the split without labels, e.g. ``dataset/test.json``."""
    dataset_dir = Path(_kit_setting(kit, "paths.dataset_dir"))
    folder = dataset_dir.name if dataset_dir.is_absolute() else dataset_dir.as_posix()
    return f"{folder}/{_kit_setting(kit, 'data.hidden_split')}.json"


# --------------------------------------------------------------------------- paths and bytes
def _path_leaks(rel: str, path: Path, context: LeakContext) -> Iterator[Leak]:
    leak = context.settings.leak
    for forbidden in leak.never_ship_paths:
        if rel == forbidden or rel.startswith(forbidden.rstrip("/") + "/"):
            yield Leak(rel, "", "instructor-only path", f"{forbidden} must never ship")
            return
    for part in rel.split("/"):
        name = next((name for name in leak.never_ship_names if fnmatchcase(part, name)), None)
        if name is not None:
            yield Leak(rel, "", "instructor-only name", f"{part!r} must never ship ({name})")
            return
    if path.is_symlink():
        yield Leak(rel, "", "link", "a release holds plain files only (links can point "
                                   "into the instructor's tree)")
    settings = context.settings
    section = off_section_of_path(rel, settings.package, settings.optional_sections)
    if section is not None:
        yield Leak(rel, "", "off section", f"belongs to optional section {section.name!r}, "
                                          f"which is off")


def _extra_leaks(rel: str, text: str, context: LeakContext) -> Iterator[Leak]:
    """A student pyproject that offers an extra of a section that is off."""
    off = {extra: section.name for section in context.settings.optional_sections.values()
           if not section.enabled for extra in section.extras
           if extra not in context.settings.shipped_extras()}
    for number, line in enumerate(text.splitlines(), start=1):
        name = line.split("=", 1)[0].strip()
        if "=" in line and name in off:
            yield Leak(rel, str(number), "off section",
                       f"extra {name!r} of optional section {off[name]!r}, which is off")


def _hash_leaks(rel: str, data: bytes, context: LeakContext) -> Iterator[Leak]:
    origin = context.secrets.file_hashes.get(sha256(data))
    if origin is not None:
        yield Leak(rel, "", "copy of an instructor file", f"same bytes as {origin}")


# --------------------------------------------------------------------------- lines
def _line_leaks(rel: str, where: str, text: str, context: LeakContext) -> Iterator[Leak]:
    if any(marker in text for marker in MARKER_TEXTS):
        yield Leak(rel, where, "marker", f"{text.strip()!r} (regions must be stripped)")
        return
    origin = context.secrets.lines.get(normalise(text))
    if origin is not None:
        yield Leak(rel, where, "secret line", f"{text.strip()!r} from {origin}")


def _text_file_leaks(rel: str, text: str, context: LeakContext) -> Iterator[Leak]:
    for number, line in enumerate(text.splitlines(), start=1):
        yield from _line_leaks(rel, str(number), line, context)


def _output_texts(cell: Any) -> Iterator[str]:
    for output in cell.get("outputs", []) or []:
        if not isinstance(output, dict):
            continue
        text = output.get("text")
        if isinstance(text, list):
            text = "".join(text)
        if isinstance(text, str):
            yield text
        for value in (output.get("data") or {}).values():
            if isinstance(value, list):
                value = "".join(value)
            if isinstance(value, str):
                yield value
        for line in output.get("traceback") or []:
            if isinstance(line, str):
                yield line


def _notebook_leaks(rel: str, text: str, context: LeakContext) -> Iterator[Leak]:
    try:
        nb = json.loads(text)
    except ValueError:
        yield from _text_file_leaks(rel, text, context)
        return
    cells = nb.get("cells", []) if isinstance(nb, dict) else []
    solutions = context.secrets.solution_cells.get(Path(rel).name, {})
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            continue
        source = cell_source(cell)
        for line_number, line in enumerate(source.split("\n"), start=1):
            yield from _line_leaks(rel, f"cell {number} line {line_number}", line, context)
        for output in _output_texts(cell):
            for line in output.split("\n"):
                yield from _line_leaks(rel, f"cell {number} output", line, context)
        section = cell_section(cell)
        known = context.settings.optional_sections
        if section is not None and (section not in known or not known[section].enabled):
            yield Leak(rel, f"cell {number}", "off section",
                       f"a cell of optional section {section!r}, which is off")
        grade_id = str(nbgrader_meta(cell).get("grade_id", ""))
        original = solutions.get(grade_id)
        if original is not None and source.strip() == original.strip():
            yield Leak(rel, f"cell {number}", "unstripped solution cell",
                       f"solution cell {grade_id!r} still holds the instructor's answer")


# --------------------------------------------------------------------------- labels
def _json_rows(text: str) -> list[tuple[int, Any]]:
    """``(line, row)`` pairs of a JSON array or JSON-lines file of objects (else empty)."""
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().rstrip(",")
        if stripped.startswith("{"):
            try:
                rows.append((number, json.loads(stripped)))
            except ValueError:
                rows = []
                break
    if rows:
        return rows
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if isinstance(data, dict):
        data = next((value for value in data.values() if isinstance(value, list)), [])
    return [(0, row) for row in data] if isinstance(data, list) else []


def _label_leaks(rel: str, text: str, context: LeakContext) -> Iterator[Leak]:
    rows = [(line, row) for line, row in _json_rows(text) if isinstance(row, dict)]
    labelled = [(line, row) for line, row in rows if "NER" in row]
    if not labelled:
        return
    where = str(labelled[0][0]) if labelled[0][0] else "row 1"
    if rel == context.hidden_split_file:
        yield Leak(rel, where, "hidden labels",
                   f"the {Path(rel).stem} split must carry no NER labels "
                   f"({len(labelled)} rows do)")
        return
    if any("text" not in row for _, row in labelled):
        yield Leak(rel, where, "hidden labels",
                   "rows with NER but no text: the shape of the hidden labels file")
        return
    hidden, split_texts = context.secrets.hidden_label_rows, context.hidden_split_texts
    matching = [line for line, row in labelled
                if label_row(row) in hidden or tuple(row.get("text", ())) in split_texts]
    if matching and len(matching) * 2 >= len(labelled):
        yield Leak(rel, str(matching[0]) if matching[0] else "", "hidden labels",
                   f"{len(matching)} of {len(labelled)} labelled rows are sentences or label "
                   f"rows of the {Path(context.hidden_split_file).stem} split")


# --------------------------------------------------------------------------- driver
def _hidden_split_texts(release_dir: Path, split_file: str) -> frozenset[tuple[str, ...]]:
    path = release_dir / split_file
    text = read_text(path) if path.is_file() else None
    if text is None:
        return frozenset()
    return frozenset(tuple(row["text"]) for _, row in _json_rows(text)
                     if isinstance(row, dict) and isinstance(row.get("text"), list))


def scan_release(release_dir: Path, context: LeakContext) -> list[Leak]:
    """Every finding in ``release_dir``, in file order."""
    leaks: list[Leak] = []
    for path in walk_files(release_dir):
        rel = path.relative_to(release_dir).as_posix()
        path_leaks = list(_path_leaks(rel, path, context))
        leaks.extend(path_leaks)
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        leaks.extend(_hash_leaks(rel, data, context))
        if len(data) > context.settings.leak.max_text_bytes:
            continue
        text = read_text(path)
        if text is None:
            continue
        if path.suffix == ".ipynb":
            leaks.extend(_notebook_leaks(rel, text, context))
        else:
            leaks.extend(_text_file_leaks(rel, text, context))
        if rel == "pyproject.toml":
            leaks.extend(_extra_leaks(rel, text, context))
        if path.suffix in (".json", ".jsonl"):
            leaks.extend(_label_leaks(rel, text, context))
    return leaks


def find_leaks(release_dir: str | Path, root: str | Path,
               settings: ReleaseSettings | None = None,
               kit: dict[str, Any] | None = None) -> list[Leak]:
    """Scan the release at ``release_dir`` against the source tree at ``root``."""
    release_dir, root = Path(release_dir), Path(root)
    if not release_dir.is_dir():
        raise KitError(f"{release_dir}: no release folder here (build one with "
                       f"`ner-instructor release`)")
    settings = settings or load_release_settings()
    kit = kit if kit is not None else kit_config()
    secrets = collect_secrets(root, settings, hidden_labels_path(root, kit))
    split_file = hidden_split_file(kit)
    context = LeakContext(secrets, settings, split_file,
                          _hidden_split_texts(release_dir, split_file))
    return scan_release(release_dir, context)


def format_leaks(leaks: list[Leak], limit: int) -> str:
    """A report of the findings, at most ``limit`` of them listed."""
    lines = [str(leak) for leak in leaks[:limit]]
    if len(leaks) > limit:
        lines.append(f"... and {len(leaks) - limit} more")
    return "\n".join(lines)


def check_release(release_dir: str | Path, root: str | Path,
                  settings: ReleaseSettings | None = None,
                  kit: dict[str, Any] | None = None) -> None:
    """Raise :class:`KitError` listing every finding; return quietly when there is none."""
    settings = settings or load_release_settings()
    leaks = find_leaks(release_dir, root, settings, kit)
    if leaks:
        raise KitError(f"leak check failed: {len(leaks)} finding(s) in {release_dir}\n"
                       + format_leaks(leaks, settings.leak.max_reported))
