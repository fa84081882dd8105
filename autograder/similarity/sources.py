"""Reading the class and the known solutions: the TODO files' text, nothing run.

The class folder is either what ``grade-batch`` takes (each zip file or
sub-folder one submission) or nbgrader's course folder after
``nbgrader-collect`` (``submitted/<student>/<assignment>/ner_helpers/``).

In a ``grade-batch`` folder, each submission is unpacked with the grader's
bounded unpacking (:func:`autograder.grader.unpack.unpack_submission`: size,
entry-count and ratio limits, no links, no paths leaving the folder), reading
only identity.json, submission.json and the TODO files. Of each student's
submissions only the latest final one counts: the student is the student ID of
identity.json (else the LMS's id in the file name), the kind is the one
submission.json declares (as the grader reads it), and the latest is the
highest number in ``final-NNN.zip`` (``final-latest.zip`` above all), then the
last name in sort order, as ``nbgrader-collect`` chooses.

A folder of known solutions holds any mix of: public repositories of the
original homework (``.../ner/data_processing/tokenizer.py`` and the other
files of :data:`autograder.grader.unpack.ORIGINAL_LAYOUT`), copies of this kit
(``.../ner_helpers/tokenizer.py`` ...), and earlier terms' submissions (zip
files or folders with an identity.json). Each folder holding such a package is
one known solution.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from autograder.grader.batch import find_submissions
from autograder.grader.engine import read_identity, read_manifest, resolve_kind, submission_name
from autograder.grader.settings import GradingSettings
from autograder.grader.unpack import (
    ORIGINAL_LAYOUT,
    SubmissionRejected,
    unpack_submission,
)
from autograder.nbgrader.lms_names import read_lms_path, submission_number
from ner_helpers.errors import KitError
from ner_helpers.submission import IDENTITY_FILE, MANIFEST_FILE, PACKAGE_FOLDER

SUBMITTED = "submitted"
#: Files and folders looked at in a known-solutions folder, at most.
MAX_KNOWN_ENTRIES = 100_000


@dataclass
class SourceFiles:
    """The TODO files of one author, as text, and what could not be read.

    Attributes:
        key: a stable key (student ID, or the known solution's relative path).
        student_id, name: from identity.json (empty for known solutions).
        source: the submission or folder it was read from.
        texts: student file name (``tokenizer.py``) -> its text.
        problems: what could not be read.
    """

    key: str
    student_id: str = ""
    name: str = ""
    source: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    """A submission not compared: where it is, why, and whose (``""``: unknown)."""

    source: str
    reason: str
    student: str = ""


@dataclass
class ClassFiles:
    """The students' latest final submissions and the submissions not used."""

    students: list[SourceFiles]
    skipped: list[Skipped]


def read_text(path: Path, label: str, max_bytes: int, problems: list[str]) -> str | None:
    """A student file's text, or ``None`` with a problem (too large, not a file)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        problems.append(f"{label}: cannot be read ({exc.strerror})")
        return None
    if not stat.S_ISREG(info.st_mode):
        problems.append(f"{label}: not a regular file")
        return None
    if info.st_size > max_bytes:
        problems.append(f"{label}: {info.st_size:,} bytes, larger than {max_bytes:,}: "
                        "not compared")
        return None
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{label}: not UTF-8 text (undecodable bytes replaced)")
        return data.decode("utf-8", errors="replace")


def _expected(files: list[str]) -> set[str]:
    return {IDENTITY_FILE, MANIFEST_FILE, *(f"{PACKAGE_FOLDER}/{name}" for name in files)}


@dataclass
class _Candidate:
    path: Path
    rank: tuple[int, str]
    files: SourceFiles


def _read_submission(path: Path, folder: Path, scratch: Path, files: list[str],
                     settings: GradingSettings, max_bytes: int) -> tuple[SourceFiles, str]:
    """One submission's TODO files and its kind; raises SubmissionRejected."""
    dest = Path(tempfile.mkdtemp(dir=scratch))
    try:
        return _read_unpacked(path, folder, dest, files, settings, max_bytes)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def _read_unpacked(path: Path, folder: Path, dest: Path, files: list[str],
                   settings: GradingSettings, max_bytes: int) -> tuple[SourceFiles, str]:
    unpacked = unpack_submission(path, dest, settings.unpack, _expected(files))
    notes: list[str] = []
    identity = read_identity(unpacked, notes, settings.inputs) or {}
    manifest = read_manifest(unpacked, notes, settings.inputs)
    kind = resolve_kind("auto", unpacked, notes, manifest)
    relative = path.relative_to(folder).as_posix()
    student_id = identity.get("student_id", "") or read_lms_path(relative).student
    result = SourceFiles(student_id or submission_name(path), student_id,
                         identity.get("name", ""), relative)
    for name in files:
        entry = f"{PACKAGE_FOLDER}/{name}"
        if entry in unpacked.files:
            text = read_text(unpacked.files[entry], entry, max_bytes, result.problems)
            if text is not None:
                result.texts[name] = text
    return result, kind


def read_batch_folder(folder: Path, files: list[str], settings: GradingSettings,
                      max_bytes: int, kind: str = "final",
                      progress: bool = True) -> ClassFiles:
    """The latest ``kind`` submission of each student in a ``grade-batch`` folder."""
    skipped: list[Skipped] = []
    by_student: dict[str, list[_Candidate]] = {}
    submissions = find_submissions(folder)
    with tempfile.TemporaryDirectory(prefix="ner-similarity-") as scratch:
        for path in tqdm(submissions, desc="reading", unit="submission", disable=not progress,
                         dynamic_ncols=True, mininterval=0.5):
            relative = path.relative_to(folder).as_posix()
            try:
                read, found_kind = _read_submission(path, folder, Path(scratch), files,
                                                    settings, max_bytes)
            except SubmissionRejected as exc:
                skipped.append(Skipped(relative, f"not read: {exc}"))
                continue
            if found_kind != kind:
                skipped.append(Skipped(relative, f"a {found_kind} submission", read.key))
                continue
            rank = (submission_number(path.name), relative)
            by_student.setdefault(read.key, []).append(_Candidate(path, rank, read))
    students = []
    for key in sorted(by_student):
        ordered = sorted(by_student[key], key=lambda c: c.rank)
        students.append(ordered[-1].files)
        skipped += [Skipped(older.files.source, "an older submission (the student's latest "
                                                "final one is compared)", key)
                    for older in ordered[:-1]]
    return ClassFiles(students, sorted(skipped, key=lambda item: (item.source, item.reason)))


def is_nbgrader_folder(folder: Path) -> bool:
    return (folder / SUBMITTED).is_dir() or folder.name == SUBMITTED


def read_nbgrader_folder(folder: Path, files: list[str], max_bytes: int,
                         assignment: str | None = None) -> ClassFiles:
    """The TODO files of each student of nbgrader's ``submitted/`` folder (what
    ``nbgrader-collect`` wrote: already the latest final per student)."""
    root = folder if folder.name == SUBMITTED else folder / SUBMITTED
    students, skipped = [], []
    for student in sorted(root.iterdir()):
        if student.name.startswith(".") or not student.is_dir() or student.is_symlink():
            continue
        folders = [item for item in sorted(student.iterdir())
                   if item.is_dir() and not item.is_symlink()
                   and (assignment is None or item.name == assignment)
                   and (item / PACKAGE_FOLDER).is_dir()]
        if not folders:
            skipped.append(Skipped(student.name, "no assignment folder with ner_helpers/",
                                   student.name))
            continue
        for item in folders:
            key = student.name if len(folders) == 1 else f"{student.name}/{item.name}"
            read = SourceFiles(key, student.name, "", item.relative_to(root).as_posix())
            for name in files:
                path = item / PACKAGE_FOLDER / name
                if path.exists() or path.is_symlink():
                    text = read_text(path, f"{PACKAGE_FOLDER}/{name}", max_bytes, read.problems)
                    if text is not None:
                        read.texts[name] = text
            students.append(read)
    return ClassFiles(students, skipped)


def _layouts(files: list[str]) -> dict[str, str]:
    """Path suffix of a known file -> the kit's student file it holds."""
    layouts = {f"{PACKAGE_FOLDER}/{name}": name for name in files}
    layouts.update({path: name for path, name in ORIGINAL_LAYOUT.items() if name in files})
    return layouts


def read_known_folder(folder: Path, files: list[str], settings: GradingSettings,
                      max_bytes: int) -> list[SourceFiles]:
    """Every known solution in ``folder`` (see the module docstring)."""
    if not folder.is_dir():
        raise KitError(f"{folder}: not a folder of known solutions")
    layouts = _layouts(files)
    packages: dict[str, SourceFiles] = {}
    archives: list[Path] = []
    seen = 0
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX"
                         and not os.path.islink(os.path.join(root, d)))
        here = Path(root)
        if IDENTITY_FILE in names and here != folder:
            archives.append(here)  # an earlier term's submission folder
            dirs[:] = []
            continue
        for name in sorted(names):
            seen += 1
            if seen > MAX_KNOWN_ENTRIES:
                raise KitError(f"{folder}: more than {MAX_KNOWN_ENTRIES:,} files; point "
                               "--known at the solutions only")
            path = here / name
            relative = path.relative_to(folder).as_posix()
            if name.lower().endswith(".zip"):
                archives.append(path)
                continue
            for suffix, student_file in layouts.items():
                if relative == suffix or relative.endswith("/" + suffix):
                    owner = relative[:-len(suffix)].rstrip("/") or "."
                    entry = packages.setdefault(owner, SourceFiles(f"known:{owner}",
                                                                   source=owner))
                    text = read_text(path, relative, max_bytes, entry.problems)
                    if text is not None and student_file not in entry.texts:
                        entry.texts[student_file] = text
    known = [packages[key] for key in sorted(packages)]
    with tempfile.TemporaryDirectory(prefix="ner-similarity-known-") as scratch:
        for path in sorted(archives):
            relative = path.relative_to(folder).as_posix()
            try:
                read, _ = _read_submission(path, folder, Path(scratch), files, settings,
                                           max_bytes)
            except SubmissionRejected as exc:
                known.append(SourceFiles(f"known:{relative}", source=relative,
                                         problems=[f"not read: {exc}"]))
                continue
            read.key, read.source = f"known:{relative}", relative
            known.append(read)
    return known
