"""Listing the files of a folder in a fixed order, leaving out matching names."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from pathlib import Path


def is_skipped(name: str, skip: Iterable[str]) -> bool:
    """Whether a file or folder name matches one of the ``skip`` globs."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in skip)


def walk_files(folder: Path, skip: Iterable[str] = ()) -> list[Path]:
    """Every file under ``folder`` (links included, not followed), sorted by relative path.

    Files and folders whose name matches a ``skip`` glob are left out.
    """
    skip = tuple(skip)
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        linked = [name for name in dirnames if (here / name).is_symlink()]
        dirnames[:] = sorted(name for name in dirnames
                             if not is_skipped(name, skip) and name not in linked)
        found.extend(here / name for name in filenames + linked if not is_skipped(name, skip))
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())
