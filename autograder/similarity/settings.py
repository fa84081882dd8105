"""The ``similarity:`` block of grading.yaml: fingerprint sizes, the flag threshold,
limits on what is read, and how students are named in the report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ner_helpers.config import load_yaml
from ner_helpers.errors import KitError

NAMINGS = ("name", "leaderboard")


@dataclass(frozen=True)
class SimilaritySettings:
    """How regions are fingerprinted, compared and reported.

    Attributes:
        k: characters of normalised code in one k-gram (copydetect's noise threshold).
        window: winnowing window, in k-grams (guarantee threshold ``k + window - 1``).
        threshold: a pair whose overall overlap is at least this is flagged.
        min_region_chars: regions whose normalised code is shorter are too short to
            tell copying from the one obvious solution; they get no score.
        max_file_kb: a student file larger than this is reported and not compared.
        max_region_lines: at most this many lines of one region are compared.
        weak_todos: TODOs shown per TODO but left out of the overall score and the
            flag: independent solutions overlap there as much as copies.
        naming: ``name`` (student ID and name) or ``leaderboard`` (the leaderboard's
            anonymous HMAC ids, with its salt).
        shown_pairs: pairs shown side by side in the HTML report (all are in the CSV).
        file_stem: OUT/<file_stem>.html and .csv.
    """

    k: int = 12
    window: int = 4
    threshold: float = 0.8
    min_region_chars: int = 40
    weak_todos: tuple[str, ...] = ("TODO-3-1", "TODO-3-2", "TODO-4-1")
    max_file_kb: int = 256
    max_region_lines: int = 400
    naming: str = "name"
    shown_pairs: int = 50
    file_stem: str = "similarity"


def _positive_int(node: dict[str, Any], key: str, where: str) -> int:
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise KitError(f"{where}: similarity.{key}: must be a positive integer, got {value!r}")
    return value


def read_similarity(data: dict[str, Any], where: str) -> SimilaritySettings:
    """The ``similarity:`` block of a grading.yaml mapping (defaults when absent)."""
    node = data.get("similarity")
    if node is None:
        return SimilaritySettings()
    if not isinstance(node, dict):
        raise KitError(f"{where}: similarity: must be a mapping")
    known = set(SimilaritySettings.__dataclass_fields__)
    unknown = sorted(set(node) - known)
    if unknown:
        raise KitError(f"{where}: similarity: unknown keys {unknown}")
    threshold = node.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not (
            0 < threshold <= 1):
        raise KitError(f"{where}: similarity.threshold: must be a number in (0, 1], "
                       f"got {threshold!r}")
    naming = node.get("naming")
    if naming not in NAMINGS:
        raise KitError(f"{where}: similarity.naming: must be one of {', '.join(NAMINGS)}, "
                       f"got {naming!r}")
    stem = node.get("file_stem")
    if not isinstance(stem, str) or not stem or "/" in stem:
        raise KitError(f"{where}: similarity.file_stem: must be a file name, got {stem!r}")
    weak = node.get("weak_todos")
    if not isinstance(weak, list) or not all(isinstance(item, str) for item in weak):
        raise KitError(f"{where}: similarity.weak_todos: must be a list of TODO numbers, "
                       f"got {weak!r}")
    ints = {key: _positive_int(node, key, where)
            for key in ("k", "window", "min_region_chars", "max_file_kb", "max_region_lines",
                        "shown_pairs")}
    return SimilaritySettings(threshold=float(threshold), naming=naming, file_stem=stem,
                              weak_todos=tuple(weak), **ints)


def load_similarity(path: str | Path) -> SimilaritySettings:
    """The similarity settings of the grading.yaml at ``path``."""
    return read_similarity(load_yaml(path), str(path))
