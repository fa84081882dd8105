"""Unpacking a submission (a zip file or a folder) safely.

Only the files a submission may hold are kept (see :func:`expected_files`);
anything else is ignored with a note, except the notebook with the written
answers (graded by hand, not by this grader), which is skipped silently. The
whole submission is rejected, with a message naming the entry, for:

- a path that is absolute, holds ``..`` or a NUL byte (it would land outside
  the submission folder), or appears twice;
- a symbolic link, or an encrypted zip entry;
- an entry larger than ``unpack.max_file_mb``, all entries together larger
  than ``unpack.max_total_mb``, more than ``unpack.max_entries`` entries, or an
  entry that expands more than ``unpack.max_ratio`` times (a zip bomb); entries
  are read with a cap, so a size field that lies does not help.

A zip whose files all sit in one folder (a zipped folder) is read as if the
folder were not there; a folder holding a single zip file (and none of the
expected files) is read as that zip.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.grader.settings import UnpackLimits
from ner_helpers.config import kit_config
from ner_helpers.submission import (
    IDENTITY_FILE,
    MANIFEST_FILE,
    MODEL_FILES,
    MODELS_FOLDER,
    PACKAGE_FOLDER,
    TOKENIZER_FILE,
    final_file_names,
    notebook_entry,
)

SILENTLY_IGNORED = re.compile(r"(^|/)(__MACOSX|\.DS_Store|__pycache__|\.ipynb_checkpoints)(/|$)")
MAX_NOTES = 10
CHUNK = 1 << 20
#: Everything :mod:`zipfile` raises on a damaged or hostile zip (bad headers, names
#: flagged UTF-8 that are not, unknown compression methods, lying sizes).
UNREADABLE_ZIP = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
                  RuntimeError, ValueError, OverflowError, struct.error, UnicodeDecodeError,
                  LookupError)


class SubmissionRejected(Exception):
    """The submission cannot be graded; the message says why, naming the entry."""


@dataclass
class UnpackedSubmission:
    """The expected files found in a submission, copied to ``root``."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.files


def expected_files() -> set[str]:
    """Every path a submission may hold (from kit.yaml's submission settings)."""
    settings = kit_config()["submission"]
    names = {IDENTITY_FILE, MANIFEST_FILE, TOKENIZER_FILE}
    names |= {f"{PACKAGE_FOLDER}/{name}" for name in final_file_names(settings)}
    names |= {f"{MODELS_FOLDER}/{model}/{name}" for model in settings["models"]
              for name in MODEL_FILES}
    names |= {f"{MODELS_FOLDER}/{model}/{name}"
              for model, files in (settings.get("optional_models") or {}).items()
              for name in files}
    return names


def ungraded_files() -> set[str]:
    """Paths a submission holds for people, not for this grader: the notebook
    (``submission.notebook`` in kit.yaml), whose written answers are graded by hand."""
    notebook = kit_config()["submission"].get("notebook")
    return {notebook_entry(notebook)} if notebook else set()


def _normalise(name: str) -> str:
    """The entry's path with ``/`` separators; rejects paths that leave the folder."""
    if "\x00" in name:
        raise SubmissionRejected(f"entry {name!r} has a NUL byte in its name")
    text = name.replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise SubmissionRejected(f"entry {name!r} has an absolute path")
    parts = [part for part in PurePosixPath(text).parts if part not in ("", ".")]
    if ".." in parts:
        raise SubmissionRejected(f"entry {name!r} points outside the submission ('..')")
    return "/".join(parts)


def _strip_common_folder(names: list[str], expected: set[str]) -> tuple[dict[str, str], str | None]:
    """Map entry names to submission paths, dropping one folder that wraps everything."""
    relevant = [n for n in names if not SILENTLY_IGNORED.search(n)]
    if relevant and not any(n in expected for n in relevant):
        tops = {n.split("/", 1)[0] for n in relevant}
        if len(tops) == 1 and all("/" in n for n in relevant):
            top = tops.pop()
            return {n: n.split("/", 1)[1] if n.startswith(top + "/") else n for n in names}, top
    return {n: n for n in names}, None


class _Budget:
    def __init__(self, limits: UnpackLimits) -> None:
        self.limits = limits
        self.total = 0
        self.entries = 0

    def count(self, name: str) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise SubmissionRejected(f"the submission has more than {self.limits.max_entries} "
                                     "files")

    def check_size(self, name: str, size: int) -> None:
        if size > self.limits.max_file_bytes:
            raise SubmissionRejected(f"entry {name!r} is larger than "
                                     f"{self.limits.max_file_bytes // (1024 * 1024)} MiB")

    def add(self, size: int) -> None:
        self.total += size
        if self.total > self.limits.max_total_bytes:
            raise SubmissionRejected("the submission's files together are larger than "
                                     f"{self.limits.max_total_bytes // (1024 * 1024)} MiB")


def _copy_capped(source, target: Path, name: str, cap: int, budget: _Budget) -> None:
    written = 0
    with open(target, "wb") as out:
        while True:
            chunk = source.read(CHUNK)
            if not chunk:
                break
            written += len(chunk)
            if written > cap:
                raise SubmissionRejected(f"entry {name!r} is larger than it declares or than "
                                         "the size limit")
            budget.add(len(chunk))
            out.write(chunk)


#: The student files of the original course kit's ``ner`` package, with the file of
#: ``ner_helpers`` that holds the same TODOs in this kit (docs/porting.md).
ORIGINAL_LAYOUT = {
    "ner/data_processing/tokenizer.py": "tokenizer.py",
    "ner/data_processing/data_collator.py": "collator.py",
    "ner/nn/embeddings/embedding.py": "embedding.py",
    "ner/trainers/trainer.py": "trainer.py",
    "ner/nn/models/ffnn.py": "ffnn.py",
    "ner/nn/models/rnn.py": "rnn.py",
}


def original_layout_note(names: Iterable[str]) -> tuple[str | None, list[str]]:
    """One note for the files laid out as the original course's ``ner/...`` package
    (at any folder depth), naming the ``ner_helpers/<file>.py`` each belongs in, and
    the names it covers; ``(None, [])`` when there are none."""
    found = []
    for name in sorted(names):
        for original, file in ORIGINAL_LAYOUT.items():
            if name == original or name.endswith("/" + original):
                found.append((name, f"{PACKAGE_FOLDER}/{file}"))
    if not found:
        return None, []
    moves = "; ".join(f"{name} belongs in {target}" for name, target in found)
    return (f"these files are laid out as the original course's ner/ package, which this "
            f"kit does not read: {moves} (see docs/porting.md for the few other changes, "
            "and build the zip with `ner-kit submit`)"), [name for name, _ in found]


def _note_ignored(result: UnpackedSubmission, ignored: Iterable[str]) -> None:
    ignored = sorted(ignored)
    for name in ignored[:MAX_NOTES]:
        result.notes.append(f"ignored unexpected file {name!r}")
    if len(ignored) > MAX_NOTES:
        result.notes.append(f"ignored {len(ignored) - MAX_NOTES} more unexpected files")


def unpack_zip(source: Path, dest: Path, limits: UnpackLimits,
               expected: set[str] | None = None) -> UnpackedSubmission:
    """Extract the expected files of a submission zip into ``dest``."""
    expected = expected if expected is not None else expected_files()
    try:
        archive = zipfile.ZipFile(source)
    except UNREADABLE_ZIP as exc:
        raise SubmissionRejected(f"{source.name} is not a readable zip file "
                                 f"({str(exc)[:200]})") from None
    budget = _Budget(limits)
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise SubmissionRejected(f"the zip has {len(infos)} entries, more than "
                                     f"{limits.max_entries}")
        by_name: dict[str, zipfile.ZipInfo] = {}
        declared_total = 0
        for info in infos:
            name = _normalise(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise SubmissionRejected(f"entry {info.filename!r} is a symbolic link")
            if info.flag_bits & 0x1:
                raise SubmissionRejected(f"entry {info.filename!r} is encrypted")
            if info.is_dir() or not name:
                continue
            if name in by_name:
                raise SubmissionRejected(f"entry {name!r} appears twice in the zip")
            budget.check_size(info.filename, info.file_size)
            declared_total += info.file_size
            if declared_total > limits.max_total_bytes:
                raise SubmissionRejected("the zip's files together are larger than "
                                         f"{limits.max_total_bytes // (1024 * 1024)} MiB")
            if info.file_size > limits.ratio_min_bytes and (
                    info.compress_size == 0
                    or info.file_size / info.compress_size > limits.max_ratio):
                raise SubmissionRejected(f"entry {info.filename!r} expands more than "
                                         f"{limits.max_ratio:g} times (a zip bomb?)")
            by_name[name] = info

        def copy_entry(name: str, target: Path) -> None:
            info = by_name[name]
            try:
                with archive.open(info) as handle:
                    _copy_capped(handle, target, name, info.file_size, budget)
            except UNREADABLE_ZIP as exc:
                raise SubmissionRejected(f"entry {name!r} cannot be read "
                                         f"({str(exc)[:200]})") from None

        result = _place_files(sorted(by_name), expected, dest, "of the zip", copy_entry)
    return result


def unpack_folder(source: Path, dest: Path, limits: UnpackLimits,
                  expected: set[str] | None = None) -> UnpackedSubmission:
    """Copy the expected files of a submission folder into ``dest``; a folder holding
    only a zip file is read as that zip."""
    expected = expected if expected is not None else expected_files()
    budget = _Budget(limits)
    names: list[str] = []
    for root, dirs, files in os.walk(source, followlinks=False):
        for name in sorted(dirs):
            if os.path.islink(os.path.join(root, name)):
                relative = os.path.relpath(os.path.join(root, name), source)
                raise SubmissionRejected(f"entry {relative!r} is a symbolic link")
        for name in sorted(files):
            path = os.path.join(root, name)
            relative = os.path.relpath(path, source).replace(os.sep, "/")
            budget.count(relative)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                raise SubmissionRejected(f"entry {relative!r} is a symbolic link")
            if not stat.S_ISREG(info.st_mode):
                raise SubmissionRejected(f"entry {relative!r} is not a regular file")
            budget.check_size(relative, info.st_size)
            names.append(relative)
    relevant = [n for n in names if not SILENTLY_IGNORED.search(n)]
    zips = [n for n in relevant if n.lower().endswith(".zip") and "/" not in n]
    mapping, _ = _strip_common_folder(sorted(names), expected)
    if zips and not any(mapping[n] in expected for n in names):
        if len(zips) > 1:
            raise SubmissionRejected(f"the submission holds {len(zips)} zip files "
                                     f"({', '.join(sorted(zips))}); hand in one")
        return unpack_zip(source / zips[0], dest, limits, expected)

    def copy_file(name: str, target: Path) -> None:
        with open(source / name, "rb") as handle:
            _copy_capped(handle, target, name, limits.max_file_bytes, budget)

    return _place_files(sorted(names), expected, dest, "", copy_file)


def _place_files(names: list[str], expected: set[str], dest: Path, container: str,
                 copy: Callable[[str, Path], None]) -> UnpackedSubmission:
    """Copy the expected ``names`` into ``dest`` with ``copy(name, target)``; note the
    wrapper folder that was stripped and the unexpected files that were ignored."""
    mapping, wrapper = _strip_common_folder(names, expected)
    result = UnpackedSubmission(dest)
    if wrapper:
        where = f" {container}" if container else ""
        result.notes.append(f"read the files inside the folder {wrapper!r}{where}")
    ignored = []
    ungraded = ungraded_files()
    for name in names:
        target_name = mapping[name]
        if target_name not in expected:
            if not SILENTLY_IGNORED.search(name) and target_name not in ungraded:
                ignored.append(name)
            continue
        target = dest / target_name
        target.parent.mkdir(parents=True, exist_ok=True)
        copy(name, target)
        result.files[target_name] = target
    layout_note, recognised = original_layout_note(ignored)
    if layout_note:
        result.notes.append(layout_note)
    _note_ignored(result, [name for name in ignored if name not in recognised])
    return result


def unpack_submission(source: str | Path, dest: str | Path, limits: UnpackLimits,
                      expected: set[str] | None = None) -> UnpackedSubmission:
    """Unpack a zip file or a folder into ``dest`` (created; must not exist or be empty)."""
    source, dest = Path(source), Path(dest)
    if source.is_symlink():
        raise SubmissionRejected(f"{source.name} is a symbolic link")
    dest.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        return unpack_folder(source, dest, limits, expected)
    if source.is_file():
        return unpack_zip(source, dest, limits, expected)
    raise SubmissionRejected(f"{source} does not exist")
