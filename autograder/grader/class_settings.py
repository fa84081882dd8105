"""Settings of the class-wide outputs: the ``leaderboard:`` and ``report:`` blocks of
``grading.yaml``.

Both blocks are optional: without ``leaderboard:`` there is no leaderboard, and
without ``report:`` ``grade-batch`` writes no class report. The bundled
grading.yaml has both, the leaderboard off and the report on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ner_helpers.errors import KitError

ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class LeaderboardEntry:
    """One column of the leaderboard: the test-set F1 of one submitted model."""

    model: str
    name: str
    order: str  # "desc": higher ranks higher; "asc": lower ranks higher


@dataclass(frozen=True)
class LeaderboardSettings:
    """Gradescope's ``leaderboard`` list in results.json and the class leaderboard files.

    ``entries`` are in ranking order: the first decides the rank, the next ones
    break its ties.
    """

    enabled: bool
    entries: tuple[LeaderboardEntry, ...] = ()
    decimals: int = 4
    salt: str = ""
    anonymous_prefix: str = ""
    anonymous_chars: int = 8
    name_chars: int = 40
    file_stem: str = "leaderboard"


@dataclass(frozen=True)
class ReportSettings:
    """The class report that ``grade-batch`` writes beside the gradebook."""

    enabled: bool
    file: str = ""
    most_failed: int = 10
    messages_per_test: int = 3
    histogram_bins: int = 20


LEADERBOARD_OFF = LeaderboardSettings(enabled=False)
REPORT_OFF = ReportSettings(enabled=False)


def _error(where: str, key: str, problem: str) -> KitError:
    return KitError(f"{where}: {key}: {problem}")


def _flag(node: dict[str, Any], where: str, label: str) -> bool:
    value = node.get("enabled")
    if not isinstance(value, bool):
        raise _error(where, f"{label}.enabled", f"must be true or false, got {value!r}")
    return value


def _positive(node: dict[str, Any], where: str, label: str, key: str) -> int:
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _error(where, f"{label}.{key}", f"must be a positive integer, got {value!r}")
    return value


def _text(node: dict[str, Any], where: str, label: str, key: str,
          allow_empty: bool = False) -> str:
    value = node.get(key)
    if not isinstance(value, str) or (not value and not allow_empty):
        raise _error(where, f"{label}.{key}", f"must be a non-empty string, got {value!r}")
    return value


def read_leaderboard(data: dict[str, Any], where: str,
                     models: tuple[str, ...]) -> LeaderboardSettings:
    """The ``leaderboard:`` block of ``data`` (off when absent); ``models`` are the
    models of the ``performance:`` block."""
    node = data.get("leaderboard")
    if node is None:
        return LEADERBOARD_OFF
    if not isinstance(node, dict):
        raise _error(where, "leaderboard", "must be a mapping")
    enabled = _flag(node, where, "leaderboard")
    raw_entries = node.get("entries")
    if not isinstance(raw_entries, dict) or not raw_entries:
        raise _error(where, "leaderboard.entries",
                     "must map each model to its name and order")
    entries = []
    for model, entry in raw_entries.items():
        label = f"leaderboard.entries.{model}"
        if model not in models:
            raise _error(where, label, "has no entry under performance")
        if not isinstance(entry, dict):
            raise _error(where, label, "must be a mapping with name and order")
        order = entry.get("order")
        if order not in ORDERS:
            raise _error(where, f"{label}.order", f"must be asc or desc, got {order!r}")
        entries.append(LeaderboardEntry(str(model), _text(entry, where, label, "name"), order))
    salt = _text(node, where, "leaderboard", "salt")
    return LeaderboardSettings(
        enabled=enabled,
        entries=tuple(entries),
        decimals=_positive(node, where, "leaderboard", "decimals"),
        salt=salt,
        anonymous_prefix=_text(node, where, "leaderboard", "anonymous_prefix",
                               allow_empty=True),
        anonymous_chars=min(_positive(node, where, "leaderboard", "anonymous_chars"), 64),
        name_chars=_positive(node, where, "leaderboard", "name_chars"),
        file_stem=_text(node, where, "leaderboard", "file_stem"),
    )


def read_report(data: dict[str, Any], where: str) -> ReportSettings:
    """The ``report:`` block of ``data`` (no report when absent)."""
    node = data.get("report")
    if node is None:
        return REPORT_OFF
    if not isinstance(node, dict):
        raise _error(where, "report", "must be a mapping")
    return ReportSettings(
        enabled=_flag(node, where, "report"),
        file=_text(node, where, "report", "file"),
        most_failed=_positive(node, where, "report", "most_failed"),
        messages_per_test=_positive(node, where, "report", "messages_per_test"),
        histogram_bins=_positive(node, where, "report", "histogram_bins"),
    )
