"""All-or-nothing writing of several output files.

The build writes every output to a temporary file beside its target and only
moves the temporary files into place once all of them are written, so a
failure (bad input, a full disk) leaves the earlier outputs as they were.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

#: Permissions of a new output file (an existing one keeps its own).
NEW_FILE_MODE = 0o644


def write_all_or_nothing(files: Mapping[Path, str]) -> None:
    """Write each text to its path (UTF-8); replace the targets only when all are written."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, text in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".partial", dir=target.parent
            )
            staged.append((Path(temporary), target))
            mode = target.stat().st_mode & 0o777 if target.exists() else NEW_FILE_MODE
            os.chmod(temporary, mode)
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
        for temporary, target in staged:
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
