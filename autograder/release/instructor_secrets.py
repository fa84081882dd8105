"""What must never reach a release, collected from the instructor's source tree.

- secret lines (see :mod:`autograder.release.secret_lines` for which count):
  solution code of the helper package, solution / hidden test / mark scheme
  lines of the instructor notebooks, every line of the hidden test files;
- the bytes of every instructor-only file (the ``never_ship.instructor_dirs``,
  the instructor notebooks), to recognise a copy under any name;
- the hidden label rows, to recognise the test labels in any JSON file;
- the source of every notebook solution cell, by notebook and ``grade_id``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.release.markers import find_regions, strip_solutions
from autograder.release.notebook_regions import notebook_lines, read_notebook, solution_cell_sources
from autograder.release.secret_lines import is_trivial, normalise
from autograder.release.settings import ReleaseSettings
from autograder.release.tree_walk import walk_files
from ner_helpers.errors import KitError

#: Files smaller than this are not matched by their bytes (empty ``__init__.py`` ...).
MIN_HASHED_BYTES = 32

LabelRow = tuple[tuple[int, ...], tuple[str, ...]]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_text(path: Path) -> str | None:
    """The file's text, or ``None`` when it is not UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def label_row(row: Any) -> LabelRow | None:
    """``(index, NER)`` of a JSON row carrying both, else ``None``."""
    if not isinstance(row, dict):
        return None
    index, tags = row.get("index"), row.get("NER")
    if not isinstance(index, list) or not isinstance(tags, list):
        return None
    try:
        return tuple(int(i) for i in index), tuple(str(t) for t in tags)
    except (TypeError, ValueError):
        return None


@dataclass
class InstructorSecrets:
    """Everything the leak check compares a release against."""

    root: Path
    lines: dict[str, str] = field(default_factory=dict)
    public_lines: set[str] = field(default_factory=set)
    file_hashes: dict[str, str] = field(default_factory=dict)
    hidden_label_rows: set[LabelRow] = field(default_factory=set)
    hidden_labels_path: Path | None = None
    solution_cells: dict[str, dict[str, str]] = field(default_factory=dict)
    _candidates: dict[str, str] = field(default_factory=dict)

    def add_secret(self, line: str, origin: str) -> None:
        text = normalise(line)
        if text:
            self._candidates.setdefault(text, origin)

    def add_public(self, line: str) -> None:
        self.public_lines.add(normalise(line))

    def finish(self, min_chars: int) -> InstructorSecrets:
        """Keep the candidates that are neither trivial nor public."""
        self.lines = {text: origin for text, origin in self._candidates.items()
                      if text not in self.public_lines and not is_trivial(text, min_chars)}
        return self


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _collect_package(secrets: InstructorSecrets, root: Path, settings: ReleaseSettings,
                     shipped_hashes: set[str]) -> None:
    package_dir = root / settings.package
    if not package_dir.is_dir():
        raise KitError(f"{package_dir}: the helper package folder is missing")
    for path in walk_files(package_dir, settings.skip):
        text = read_text(path)
        if text is None:
            continue
        rel = _rel(path, root)
        lines = text.splitlines()
        inside: set[int] = set()
        for region in find_regions(text, rel) if path.suffix == ".py" else []:
            for number in range(region.begin_line + 1, region.end_line):
                inside.add(number)
                code = lines[number].strip()
                if code and not code.startswith("#"):
                    secrets.add_secret(code, f"{rel}:{number + 1} (solution of {region.todo})")
        for number, line in enumerate(lines):
            if number not in inside:
                secrets.add_public(line)
        shipped = strip_solutions(text, rel) if path.suffix == ".py" else text
        shipped_hashes.add(sha256(shipped.encode("utf-8")))


def _collect_notebooks(secrets: InstructorSecrets, root: Path,
                       settings: ReleaseSettings) -> None:
    folder = root / settings.notebooks_dir
    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
        rel = _rel(path, root)
        nb = read_notebook(path)
        secrets.solution_cells[path.name] = solution_cell_sources(nb)
        cells = nb.get("cells", [])
        for item in notebook_lines(nb):
            if item.kind is None:
                secrets.add_public(item.text)
            elif item.kind != "marker":
                # a notebook with secrets must not ship as it is, under any name
                secrets.file_hashes[sha256(path.read_bytes())] = (
                    f"{rel} (the instructor notebook, with solutions)")
                is_code = cells[item.cell - 1].get("cell_type") == "code"
                if is_code and item.text.strip().startswith("#") and item.kind == "solution":
                    continue
                secrets.add_secret(item.text, f"{rel} cell {item.cell} line {item.line} "
                                              f"({item.kind})")


def _collect_hidden_tests(secrets: InstructorSecrets, root: Path,
                          settings: ReleaseSettings) -> None:
    folder = root / settings.leak.hidden_tests_dir
    for path in walk_files(folder, settings.skip) if folder.is_dir() else []:
        text = read_text(path)
        if text is None:
            continue
        rel = _rel(path, root)
        for number, line in enumerate(text.splitlines(), start=1):
            secrets.add_secret(line, f"{rel}:{number} (hidden test)")


def _collect_shipped_public(secrets: InstructorSecrets, root: Path, settings: ReleaseSettings,
                            shipped_hashes: set[str]) -> None:
    paths = [root / name for name in settings.copy]
    for folder in settings.leak.instructor_dirs_shipped:
        paths.extend(walk_files(root / folder, settings.skip) if (root / folder).is_dir() else [])
    for path in paths:
        if path.is_file():
            shipped_hashes.add(sha256(path.read_bytes()))
            for line in (read_text(path) or "").splitlines():
                secrets.add_public(line)


def _collect_instructor_files(secrets: InstructorSecrets, root: Path,
                              settings: ReleaseSettings, shipped_hashes: set[str]) -> None:
    shipped_dirs = [root / folder for folder in settings.leak.instructor_dirs_shipped]
    for folder in settings.leak.instructor_dirs:
        base = root / folder
        for path in walk_files(base, settings.skip) if base.is_dir() else []:
            if any(path.is_relative_to(shipped) for shipped in shipped_dirs) or path.is_symlink():
                continue
            data = path.read_bytes()
            digest = sha256(data)
            if len(data) >= MIN_HASHED_BYTES and digest not in shipped_hashes:
                secrets.file_hashes.setdefault(digest, f"{_rel(path, root)} (instructor-only)")


def _collect_hidden_labels(secrets: InstructorSecrets, hidden_labels: Path | None) -> None:
    if hidden_labels is None or not hidden_labels.is_file():
        return
    secrets.hidden_labels_path = hidden_labels
    data = hidden_labels.read_bytes()
    secrets.file_hashes[sha256(data)] = f"{hidden_labels} (hidden labels)"
    try:
        rows = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise KitError(f"{hidden_labels}: the hidden labels file is not valid JSON") from None
    for row in rows if isinstance(rows, list) else []:
        parsed = label_row(row)
        if parsed is not None:
            secrets.hidden_label_rows.add(parsed)


def collect_secrets(root: Path, settings: ReleaseSettings,
                    hidden_labels: Path | None) -> InstructorSecrets:
    """Read the instructor's source tree at ``root`` and gather what must not leak."""
    secrets = InstructorSecrets(root=root)
    shipped_hashes: set[str] = set()
    _collect_package(secrets, root, settings, shipped_hashes)
    _collect_notebooks(secrets, root, settings)
    _collect_hidden_tests(secrets, root, settings)
    _collect_shipped_public(secrets, root, settings, shipped_hashes)
    _collect_instructor_files(secrets, root, settings, shipped_hashes)
    _collect_hidden_labels(secrets, hidden_labels)
    return secrets.finish(settings.leak.min_chars)
