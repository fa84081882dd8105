"""Writing a release folder reproducibly, keeping earlier releases, zipping.

Two builds of the same source give byte-identical trees: files are written in
sorted order with fixed modes and one fixed modification time (folders too),
and the zip has sorted entries, fixed dates and fixed attributes.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from autograder.release.settings import ReleaseSettings

#: A release file's content: bytes, or a file to copy.
Content = bytes | Path


def write_tree(folder: Path, files: dict[str, Content], settings: ReleaseSettings) -> None:
    """Write ``files`` (release path -> content) into the empty or new ``folder``."""
    folder.mkdir(parents=True, exist_ok=False)
    for rel in sorted(files):
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        content = files[rel]
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content)
    fix_metadata(folder, settings)


def fix_metadata(folder: Path, settings: ReleaseSettings) -> None:
    """Give every file and folder under ``folder`` the configured modes and time."""
    stamp = (settings.timestamp, settings.timestamp)
    for dirpath, _, filenames in os.walk(folder, topdown=False):
        for name in filenames:
            path = Path(dirpath) / name
            path.chmod(settings.file_mode)
            os.utime(path, stamp)
        Path(dirpath).chmod(settings.dir_mode)
        os.utime(dirpath, stamp)


def free_previous_name(path: Path) -> Path:
    """``PATH.prev``, or the first free ``PATH.prev-N`` (N = 2, 3, ...)."""
    candidate = path.with_name(path.name + ".prev")
    number = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{path.name}.prev-{number}")
        number += 1
    return candidate


def keep_previous(path: Path) -> Path | None:
    """Move an existing ``path`` aside (never delete it); return where it went."""
    if not path.exists() and not path.is_symlink():
        return None
    target = free_previous_name(path)
    path.rename(target)
    return target


def write_zip(folder: Path, zip_path: Path, top: str, settings: ReleaseSettings) -> None:
    """Zip ``folder`` as ``top/...``: sorted entries, fixed dates and attributes."""
    moment = datetime.fromtimestamp(settings.timestamp, tz=timezone.utc)
    date_time = (max(moment.year, 1980), moment.month, moment.day,
                 moment.hour, moment.minute, moment.second)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{top}/{path.relative_to(folder).as_posix()}", date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | settings.file_mode) << 16
            archive.writestr(info, path.read_bytes())
