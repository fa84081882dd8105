"""The collaboration statement's wording and points for the notebook build.

They come from ``collaboration_statement`` in ``autograder/config/release.yaml``,
the same values the release writes into the student notebook
(:mod:`autograder.release.statement_cells`); the fallbacks below are used when
that file or section is absent.
"""

from __future__ import annotations

from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RELEASE_CONFIG = PROJECT_ROOT / "autograder" / "config" / "release.yaml"
FALLBACK_WORDING = (
    "**Collaboration statement.** Did you consult anyone other than the TA or the "
    "instructor, or any resources other than those listed? If so, list them below.")
FALLBACK_POINTS = 0


def statement_settings(release_config: Path = RELEASE_CONFIG) -> tuple[str, float]:
    """``(wording, points)`` of ``collaboration_statement`` in release.yaml, or the
    fallbacks."""
    data = {}
    if release_config.is_file():
        data = yaml.safe_load(release_config.read_text(encoding="utf-8")) or {}
    section = data.get("collaboration_statement") or {}
    wording = str(section.get("wording") or FALLBACK_WORDING).strip()
    points = section.get("points", FALLBACK_POINTS)
    return wording, points
