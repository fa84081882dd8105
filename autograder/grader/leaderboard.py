"""The leaderboard of the submitted models' test-set F1 (``leaderboard:`` in grading.yaml).

Two outputs, both only when the leaderboard is enabled:

* Gradescope's ``leaderboard`` list in each final submission's results.json:
  one ``{"name", "value", "order"}`` entry per configured model, ``value``
  the F1 rounded to ``decimals`` (0 when the model could not be scored) and
  ``order`` ``"desc"`` (higher ranks higher) or ``"asc"``. Gradescope shows
  it under the pseudonym each student gives when submitting.
* The class leaderboard of ``grade-batch``: ``OUT/<file_stem>.csv`` and
  ``OUT/<file_stem>.html`` with one row per graded final submission, named by
  the ``leaderboard_name`` of its identity.json or else by an anonymous id, a
  keyed hash (HMAC-SHA256) of the student ID with the configured ``salt``.
  No student ID, real name or submission name appears in them.

Ranking: the entries in their configured order (the first decides, the next
break ties; a model without an F1 ranks last), then the name; rows whose values
are all equal share a rank (1, 2, 2, 4). Two submissions choosing the same name
both get their anonymous id appended.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from autograder.grader.class_settings import LeaderboardSettings
from autograder.grader.gradebook import safe_cell
from autograder.grader.html_page import page, table
from autograder.grader.result import GradingResult
from autograder.grader.safe_text import one_line

NAME_KEY = "leaderboard_name"
ORDER_WORDS = {"desc": "higher is better", "asc": "lower is better"}


def results_entries(result: GradingResult, settings: LeaderboardSettings) -> list[dict[str, Any]]:
    """Gradescope's ``leaderboard`` list for one result (empty when the leaderboard is
    off, the submission was rejected or its kind grades no configured model)."""
    if not settings.enabled or result.rejected:
        return []
    scored = {item.model: item.f1 for item in result.performance}
    return [{"name": entry.name,
             "value": round(scored[entry.model] or 0.0, settings.decimals),
             "order": entry.order}
            for entry in settings.entries if entry.model in scored]


def chosen_name(identity: Mapping[str, str] | None, settings: LeaderboardSettings) -> str:
    """The leaderboard name a student chose in identity.json, cleaned ("" when none)."""
    return one_line((identity or {}).get(NAME_KEY, ""), settings.name_chars)


def anonymous_id(key: str, settings: LeaderboardSettings) -> str:
    """A stable pseudonym for ``key`` (a student ID): a keyed hash with the salt."""
    digest = hmac.new(settings.salt.encode("utf-8"), key.encode("utf-8"),
                      hashlib.sha256).hexdigest()
    return settings.anonymous_prefix + digest[: settings.anonymous_chars]


@dataclass(frozen=True)
class Standing:
    """One row of the class leaderboard; ``values`` follow the configured entries."""

    rank: int
    name: str
    values: tuple[float | None, ...]


def _value(row: Mapping[str, Any], model: str, decimals: int) -> float | None:
    cell = row.get(f"{model}_f1", "")
    if cell in ("", None):
        return None
    return round(float(cell), decimals)


def standings(rows: Iterable[Mapping[str, Any]], settings: LeaderboardSettings) -> list[Standing]:
    """The ranked leaderboard of batch rows: graded submissions with at least one
    configured model."""
    candidates = []
    for row in rows:
        if not str(row.get("status", "")).startswith("graded") or not any(
                f"{entry.model}_points" in row for entry in settings.entries):
            continue
        values = tuple(_value(row, entry.model, settings.decimals) for entry in settings.entries)
        anonymous = anonymous_id(str(row.get("student_id") or row["submission"]), settings)
        chosen = one_line(row.get(NAME_KEY, ""), settings.name_chars)
        candidates.append((chosen or anonymous, anonymous, values, str(row["submission"])))
    used = Counter(name for name, *_ in candidates)
    named = [(f"{name} ({anonymous})" if used[name] > 1 and name != anonymous else name,
              values, submission) for name, anonymous, values, submission in candidates]

    def sort_key(item: tuple[str, tuple[float | None, ...], str]) -> tuple[Any, ...]:
        name, values, submission = item
        return (_order_key(values, settings), name, submission)

    ranked: list[Standing] = []
    for position, (name, values, _) in enumerate(sorted(named, key=sort_key), start=1):
        tied = ranked and _order_key(ranked[-1].values, settings) == _order_key(values, settings)
        ranked.append(Standing(ranked[-1].rank if tied else position, name, values))
    return ranked


def _order_key(values: tuple[float | None, ...],
               settings: LeaderboardSettings) -> tuple[tuple[int, float], ...]:
    return tuple((1, 0.0) if value is None else (0, -value if entry.order == "desc" else value)
                 for value, entry in zip(values, settings.entries, strict=True))


def _shown(value: float | None, decimals: int) -> str:
    return "" if value is None else f"{value:.{decimals}f}"


def render_csv(ranked: list[Standing], settings: LeaderboardSettings, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["rank", "name", *(f"{entry.model}_f1" for entry in settings.entries)])
        for standing in ranked:
            writer.writerow([standing.rank, safe_cell(standing.name),
                             *(_shown(value, settings.decimals) for value in standing.values)])


def render_html(ranked: list[Standing], settings: LeaderboardSettings, title: str) -> str:
    headers = [("Rank", True), ("Name", False)] + [
        (f"{entry.name} ({ORDER_WORDS[entry.order]})", True) for entry in settings.entries]
    rows = [[str(standing.rank), escape(standing.name),
             *(_shown(value, settings.decimals) or "no score" for value in standing.values)]
            for standing in ranked]
    ranking = ", then ".join(entry.name for entry in settings.entries)
    body = (f"<h1>{escape(title)}</h1>\n<p class=\"lead\">Test-set entity F1 of the submitted "
            f"models, ranked by {escape(ranking)}. Names are the ones students chose, or an "
            "anonymous id. Equal scores share a rank.</p>\n"
            + (table(headers, rows) if rows else "<p>No graded final submissions yet.</p>"))
    return page(title, body)


def write_leaderboard(rows: Iterable[Mapping[str, Any]], out_dir: Path,
                      settings: LeaderboardSettings, title: str) -> list[Path]:
    """Write ``<file_stem>.csv`` and ``<file_stem>.html`` into ``out_dir`` (nothing when the
    leaderboard is off); return the files written."""
    if not settings.enabled:
        return []
    ranked = standings(rows, settings)
    csv_path = out_dir / f"{settings.file_stem}.csv"
    html_path = out_dir / f"{settings.file_stem}.html"
    render_csv(ranked, settings, csv_path)
    html_path.write_text(render_html(ranked, settings, title), encoding="utf-8")
    return [csv_path, html_path]
