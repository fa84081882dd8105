"""Collecting submission zips into nbgrader's ``submitted/`` folder.

``ner-instructor nbgrader-collect SOURCE`` takes a folder of the kit's
submission zips, or an LMS download of them (a folder or a zip; file names as
in :mod:`autograder.nbgrader.lms_names`), and writes for every student::

    COURSE_DIR/submitted/<student>/<assignment_id>/
        assignment.ipynb            the student's notebook (notebooks/ of the zip)
        ner_helpers/                the released package (solutions stripped) with
                                    the student's TODO files from the zip over it
        dataset/train.json ...      the students' dataset (test split without labels)
        artefacts/tokenizer.json    the student's tokenizer (final submissions)

which is everything ``nbgrader autograde`` needs to run the notebook as the
student did. ``<student>`` is the student ID of the zip's ``identity.json``
(letters, digits, ``.``, ``_``, ``-``; other characters become ``_``), or the
LMS's id when that file is missing.

Only zips of one kind are collected (``final`` by default); of several zips of
one student the newest counts (``final-003.zip`` over ``final-002.zip``,
``final-latest.zip`` over both). A student's earlier collected folder is
never overwritten: when the new one differs, the earlier one moves to
``COURSE_DIR/<collect.keep_dir>/<student>/<assignment_id>-N/`` first.
Only the entries named above are read from a zip, never extracted by their
own paths, and a zip whose entries unpack to more than
``collect.max_unpacked_bytes`` is skipped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from autograder.grader.gradebook import safe_cell
from autograder.nbgrader.lms_names import KIT_FILE, LmsFile, read_lms_path, submission_number
from autograder.previous_files import keep_previous_file
from autograder.release.builder import package_files
from autograder.release.dataset_files import dataset_release_files
from autograder.release.release_tree import Content
from autograder.release.settings import ReleaseSettings
from ner_helpers.errors import KitError
from ner_helpers.submission import (
    IDENTITY_FILE,
    MANIFEST_FILE,
    NOTEBOOKS_FOLDER,
    PACKAGE_FOLDER,
    TOKENIZER_FILE,
)

KINDS = ("milestone", "final")
#: Characters a student folder name may hold; others become ``_``.
UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")
#: Folders of an LMS download that never hold submissions (macOS zip metadata).
SKIPPED_FOLDERS = ("__MACOSX",)
LOG_COLUMNS = ["student", "name", "kind", "source", "status"]


@dataclass
class KitZip:
    """One submission zip: who, what kind, and the entries the collector reads."""

    source: str
    path: Path
    lms: LmsFile
    kind: str | None = None
    student: str = ""
    name: str = ""
    entries: dict[str, bytes] = field(default_factory=dict)
    problem: str | None = None


@dataclass
class CollectReport:
    """What a collection did, per source file."""

    course_dir: Path
    assignment_dir: str
    collected: list[tuple[str, str, Path]] = field(default_factory=list)   # student, source, folder
    unchanged: list[tuple[str, str]] = field(default_factory=list)         # student, source
    kept: list[tuple[str, Path]] = field(default_factory=list)             # student, earlier folder
    skipped: list[tuple[str, str]] = field(default_factory=list)           # source, reason
    log: Path | None = None

    def summary(self) -> str:
        lines = [f"{len(self.collected)} collected, {len(self.unchanged)} unchanged, "
                 f"{len(self.skipped)} skipped, into {self.course_dir}/submitted/<student>/"
                 f"{self.assignment_dir}/"]
        lines += [f"  {student}: {source}" for student, source, _ in self.collected]
        lines += [f"  {student}: {source} (already collected, unchanged)"
                  for student, source in self.unchanged]
        lines += [f"  {student}: the earlier collected submission is kept in {folder}"
                  for student, folder in self.kept]
        lines += [f"  skipped {source}: {reason}" for source, reason in self.skipped]
        if self.log is not None:
            lines.append(f"log: {self.log}")
        return "\n".join(lines)


def student_folder_name(text: str) -> str:
    """``text`` as a folder name nbgrader accepts as a student id."""
    cleaned = UNSAFE_NAME_CHARS.sub("_", " ".join(text.split())).strip("._")
    return cleaned[:64]


# ---------------------------------------------------------------------- finding zips
def find_zips(source: Path, scratch: Path, settings: ReleaseSettings) -> list[tuple[Path, str]]:
    """``(zip file, its path inside the download)`` of every submission zip in ``source``.

    ``source`` is a folder (searched at any depth), one submission zip, or a zip
    of a download whose ``.zip`` members are the submissions (they are copied
    into ``scratch``).
    """
    if source.is_dir():
        found = [(path, path.relative_to(source).as_posix())
                 for path in sorted(source.rglob("*.zip")) if path.is_file()
                 and not any(part in SKIPPED_FOLDERS or part.startswith(".")
                             for part in path.relative_to(source).parts)]
        return found
    if not source.is_file():
        raise KitError(f"{source}: no such folder or zip file")
    try:
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
            if IDENTITY_FILE in names or MANIFEST_FILE in names:
                return [(source, source.name)]
            members = [info for info in archive.infolist() if info.filename.endswith(".zip")
                       and not info.is_dir()
                       and not any(part in SKIPPED_FOLDERS or part.startswith(".")
                                   for part in PurePosixPath(info.filename).parts)]
            found = []
            for number, info in enumerate(sorted(members, key=lambda i: i.filename)):
                if info.file_size > settings.nbgrader.collect_max_unpacked_bytes:
                    continue
                target = scratch / f"{number:05d}.zip"
                target.write_bytes(archive.read(info))
                found.append((target, info.filename))
            return found
    except zipfile.BadZipFile:
        raise KitError(f"{source}: not a zip file") from None


# ---------------------------------------------------------------------- reading one zip
def wanted_entries(kit: dict[str, Any], kind: str | None) -> list[str]:
    """The zip entries the collector reads: identity, manifest, TODO files, notebook,
    tokenizer."""
    submission = kit["submission"]
    files = submission["final_files"] if kind != "milestone" else submission["milestone_files"]
    if kind != "milestone":
        files = [*files, *(submission.get("section_files") or [])]
    notebook = submission.get("notebook")
    names = [IDENTITY_FILE, MANIFEST_FILE, TOKENIZER_FILE,
             *(f"{PACKAGE_FOLDER}/{name}" for name in files)]
    if notebook:
        names.append(f"{NOTEBOOKS_FOLDER}/{PurePosixPath(notebook).name}")
    return names


def _json_entry(entries: dict[str, bytes], name: str) -> dict[str, Any]:
    try:
        data = json.loads(entries.get(name, b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_kit_zip(path: Path, source: str, kit: dict[str, Any],
                 settings: ReleaseSettings) -> KitZip:
    """Read who handed ``path`` in, its kind and the entries the collector needs."""
    item = KitZip(source, path, read_lms_path(source))
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            if sum(info.file_size for info in infos.values()) > \
                    settings.nbgrader.collect_max_unpacked_bytes:
                item.problem = (f"unpacks to more than "
                                f"{settings.nbgrader.collect_max_unpacked_bytes:,} bytes")
                return item
            for name in wanted_entries(kit, None):
                if name in infos and not infos[name].is_dir():
                    item.entries[name] = archive.read(infos[name])
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
        item.problem = f"not a readable zip ({type(exc).__name__}: {exc})"
        return item
    manifest = _json_entry(item.entries, MANIFEST_FILE)
    identity = _json_entry(item.entries, IDENTITY_FILE)
    declared = manifest.get("kind")
    named = KIT_FILE.search(item.lms.file_name)
    if declared in KINDS:
        item.kind = declared
    elif named is not None:
        item.kind = named.group("kind")
    elif any(f"{PACKAGE_FOLDER}/{name}" in item.entries for name in ("ffnn.py", "rnn.py")):
        item.kind = "final"
    else:
        item.kind = "milestone"
    student_id = str(identity.get("student_id") or "").strip()
    item.student = student_folder_name(student_id or item.lms.student)
    item.name = " ".join(str(identity.get("name") or item.lms.name).split())
    if not item.student:
        item.problem = "no student ID in identity.json and none in the file name"
    elif not any(name.startswith(f"{PACKAGE_FOLDER}/") for name in item.entries):
        item.problem = "holds none of the TODO files (not a submission zip of this homework?)"
    return item


# ---------------------------------------------------------------------- one student's folder
def submission_files(item: KitZip, package: dict[str, Content], dataset: dict[str, Path],
                     kit: dict[str, Any]) -> tuple[dict[str, Content], str | None]:
    """``path in the submitted folder -> content`` for one student, or a reason it cannot
    be graded in nbgrader."""
    notebook = kit["submission"].get("notebook")
    if not notebook:
        return {}, "kit.yaml submission.notebook is empty: zips carry no notebook"
    notebook_name = PurePosixPath(notebook).name
    notebook_entry = f"{NOTEBOOKS_FOLDER}/{notebook_name}"
    if notebook_entry not in item.entries:
        return {}, (f"the zip holds no {notebook_entry} (the student handed in no notebook; "
                    f"put theirs at submitted/{item.student}/<assignment>/{notebook_name} by "
                    "hand)")
    files: dict[str, Content] = dict(package)
    for name in wanted_entries(kit, item.kind):
        if name.startswith(f"{PACKAGE_FOLDER}/") and name in item.entries:
            files[name] = item.entries[name]
    files[notebook_name] = item.entries[notebook_entry]
    files.update(dataset)
    if item.kind == "final" and TOKENIZER_FILE in item.entries:
        files[str(kit["paths"]["tokenizer"])] = item.entries[TOKENIZER_FILE]
    return files, None


def _content_bytes(content: Content) -> bytes:
    return content.read_bytes() if isinstance(content, Path) else content


def tree_digest(files: dict[str, Content]) -> str:
    """One SHA-256 over every path and content of ``files``."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(_content_bytes(files[name])).digest())
    return digest.hexdigest()


def folder_digest(folder: Path) -> str:
    """:func:`tree_digest` of the files in ``folder``."""
    return tree_digest({path.relative_to(folder).as_posix(): path
                        for path in sorted(folder.rglob("*")) if path.is_file()})


def keep_earlier(folder: Path, keep_root: Path, assignment: str) -> Path:
    """Move ``folder`` to ``keep_root/<assignment>-N`` (the next free N); return where."""
    keep_root.mkdir(parents=True, exist_ok=True)
    number = 1
    while (keep_root / f"{assignment}-{number}").exists():
        number += 1
    target = keep_root / f"{assignment}-{number}"
    shutil.move(str(folder), target)
    return target


def write_files(folder: Path, files: dict[str, Content]) -> None:
    """Write ``files`` into the new ``folder`` (through a staging folder beside it)."""
    staging = folder.with_name(folder.name + ".collecting")
    if staging.exists():
        shutil.rmtree(staging)
    for name in sorted(files):
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_content_bytes(files[name]))
    staging.rename(folder)


# ---------------------------------------------------------------------- the command's work
def collect_submissions(source: str | Path, course_dir: str | Path, *, root: str | Path,
                        settings: ReleaseSettings, kit: dict[str, Any],
                        dataset_dir: str | Path, kind: str = "final") -> CollectReport:
    """Collect the ``kind`` zips in ``source`` into ``course_dir/submitted/`` (module doc)."""
    if kind not in KINDS:
        raise KitError(f"unknown submission kind {kind!r}; use milestone or final")
    course = Path(course_dir).resolve()
    assignment = settings.nbgrader.assignment_id
    report = CollectReport(course, assignment)
    package = package_files(Path(root).resolve(), settings)
    dataset = dict(dataset_release_files(Path(dataset_dir), settings, kit))
    submitted_root = course / settings.nbgrader.directories["submitted"]
    keep_root = course / settings.nbgrader.collect_keep_dir
    rows: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="ner-collect-") as scratch:
        zips = find_zips(Path(source), Path(scratch), settings)
        if not zips:
            raise KitError(f"{source}: no .zip files found")
        by_student: dict[str, list[KitZip]] = {}
        for path, relative in zips:
            item = read_kit_zip(path, relative, kit, settings)
            if item.problem is not None:
                report.skipped.append((relative, item.problem))
            elif item.kind != kind:
                report.skipped.append((relative, f"a {item.kind} submission (collecting "
                                                  f"{kind}; pass --kind {item.kind})"))
            else:
                by_student.setdefault(item.student, []).append(item)
        for student in sorted(by_student):
            items = sorted(by_student[student],
                           key=lambda z: (submission_number(z.lms.file_name), z.source))
            chosen = items[-1]
            for older in items[:-1]:
                report.skipped.append((older.source, f"an older submission of {student} "
                                                     f"than {chosen.source}"))
            files, problem = submission_files(chosen, package, dataset, kit)
            if problem is not None:
                report.skipped.append((chosen.source, problem))
                continue
            target = submitted_root / student / assignment
            status = "collected"
            if target.exists():
                if folder_digest(target) == tree_digest(files):
                    report.unchanged.append((student, chosen.source))
                    rows.append({"student": student, "name": chosen.name, "kind": kind,
                                 "source": chosen.source, "status": "unchanged"})
                    continue
                kept = keep_earlier(target, keep_root / student, assignment)
                report.kept.append((student, kept))
                status = f"collected; earlier kept in {kept.relative_to(course)}"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_files(target, files)
            report.collected.append((student, chosen.source, target))
            rows.append({"student": student, "name": chosen.name, "kind": kind,
                         "source": chosen.source, "status": status})
    if rows:
        report.log = write_log(course / settings.nbgrader.collect_log_file, rows)
    return report


def write_log(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write the collection log (one row per student); an earlier log becomes .prev-N."""
    keep_previous_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=LOG_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: safe_cell(value) for key, value in row.items()} for row in rows)
    return path
