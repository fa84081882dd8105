"""Keeping an earlier output file instead of overwriting it.

The instructor commands write files that a TA may already have opened, edited
or sent on (a gradebook, a collection log, a merged CSV). Before writing one
again they move the earlier file aside as ``NAME.prev-N.EXT``, with the first
free N, so nothing is lost.
"""

from __future__ import annotations

from pathlib import Path


def keep_previous_file(path: Path) -> Path | None:
    """Move an existing ``path`` to ``STEM.prev-N.SUFFIX`` (first free N); return where it
    went, or ``None`` when there was nothing to keep."""
    if not path.exists():
        return None
    number = 1
    while path.with_name(f"{path.stem}.prev-{number}{path.suffix}").exists():
        number += 1
    kept = path.with_name(f"{path.stem}.prev-{number}{path.suffix}")
    path.rename(kept)
    return kept
