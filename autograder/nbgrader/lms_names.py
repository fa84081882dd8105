"""Reading who handed a file in from the names a learning-management system gives it.

Accepted layouts of a download of all submissions (each holding the kit's zips):

============  ==============================================================
Canvas        ``lastfirst_12345_67890_final-001.zip`` (also ``..._LATE_...``):
              the student's name, the Canvas user id, the submission id, the
              file name as uploaded (``-1``, ``-2`` appended to repeats)
Moodle        ``Ada Lovelace_123456_assignsubmission_file_/final-001.zip`` (a
              folder per student) or the same with ``/`` left out (flat)
Blackboard    ``Homework_alovelace_attempt_2024-05-01-12-00-00_final-001.zip``
plain         ``<student>/<anything>.zip`` or ``<student>.zip``
============  ==============================================================

The kit's own zips carry ``identity.json``; the collector uses its student ID
and falls back on the LMS id read here only when that file is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

CANVAS = re.compile(r"^(?P<name>[^_/]+?)(?:_LATE)?_(?P<id>\d+)_\d+_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_file_(?P<file>.*)$")
BLACKBOARD = re.compile(
    r"^(?P<assignment>.+?)_(?P<id>[^_/]+)_attempt_\d{4}(?:-\d\d){5}_(?P<file>.+)$")


@dataclass(frozen=True)
class LmsFile:
    """What a file's path in an LMS download says about it.

    Attributes:
        lms: ``"canvas"``, ``"moodle"``, ``"blackboard"`` or ``"plain"``.
        student: the LMS's id (or user name) of the student, or the plain name.
        name: the student's name when the LMS gives it, else empty.
        file_name: the file name as the student uploaded it.
    """

    lms: str
    student: str
    name: str
    file_name: str


def read_lms_path(relative: str) -> LmsFile:
    """Who handed in the file at ``relative`` (a path inside the download, ``/``-separated)."""
    path = PurePosixPath(relative)
    parts = path.parts
    for part_index in range(len(parts) - 1, -1, -1):
        rest = "/".join(parts[part_index:])
        match = MOODLE.match(rest)
        if match:
            file_name = PurePosixPath(match.group("file")).name or path.name
            return LmsFile("moodle", match.group("id"), match.group("name"), file_name)
    match = CANVAS.match(path.name)
    if match:
        return LmsFile("canvas", match.group("id"), match.group("name"), match.group("file"))
    match = BLACKBOARD.match(path.name)
    if match:
        return LmsFile("blackboard", match.group("id"), "", match.group("file"))
    student = parts[-2] if len(parts) > 1 else path.stem
    return LmsFile("plain", student, "", path.name)


#: ``final-003.zip`` (also ``final-003-1.zip`` as Canvas renames repeats): kind and number.
KIT_FILE = re.compile(r"(?P<kind>milestone|final)-(?P<number>\d+|latest)")
#: The rank of ``KIND-latest.zip``, a copy of the student's newest numbered zip.
LATEST_RANK = 10**9


def submission_number(file_name: str) -> int:
    """The rank of a kit zip name among a student's files: ``final-003.zip`` -> 3,
    ``final-latest.zip`` -> above every number, other names -> 0."""
    match = KIT_FILE.search(file_name)
    if match is None:
        return 0
    number = match.group("number")
    return LATEST_RANK if number == "latest" else int(number)
