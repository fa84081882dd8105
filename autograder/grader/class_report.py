"""The class report: one self-contained HTML page about a graded batch.

``grade-batch`` writes it beside the gradebook (``report.file`` of
grading.yaml, ``class-report.html`` by default). It shows

* how many submissions were graded, rejected or failed to grade;
* the score distribution per kind (a histogram of the share of the maximum,
  and count, mean, median, lowest and highest score); rejected submissions
  count with their score 0, submissions the grader failed on have none;
* per TODO, among the graded submissions whose kind covers it, how many got
  full marks and the mean points;
* per hidden test how many passed, and the tests failed most with their most
  frequent failure messages;
* per model the test-set F1 (histogram with the baseline marked, and count,
  mean, median, lowest and highest, how many reached the baseline);
* the submissions that were not graded, with the reason;
* the submissions whose model TODOs need a review (right model, other layer
  names; ``needs_review`` of the gradebook).

Its plots are PNG images made with matplotlib and embedded in the page
(base64), with the style inline: the page opens with no network. Every number
shown carries a ``data-figure`` attribute naming it, so that tests can read it
back. Text from submissions (names, messages, reasons) is cleaned of control
characters and HTML-escaped. Nothing in the page depends on time, so the same
batch gives the same bytes.
"""

from __future__ import annotations

import base64
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from autograder.grader.html_page import figure_cell, page, table
from autograder.grader.result import GradingResult
from autograder.grader.safe_text import one_line
from autograder.grader.settings import GradingSettings
from ner_helpers.submission import LEADERBOARD_NAME_KEY

#: Key of a batch row holding its hidden-test outcomes: [todo, test, passed, message].
TESTS_KEY = "hidden_tests"
DPI = 100
KIND_COLORS = {"milestone": "#4c78a8", "final": "#f58518"}
MODEL_COLORS = ("#54a24b", "#b279a2", "#e45756", "#72b7b2")
BASELINE_COLOR = "#222222"
NOT_SHOWN = "–"


# ---------------------------------------------------------------------------- batch rows
def batch_details(result: GradingResult, settings: GradingSettings) -> dict[str, Any]:
    """What the class outputs need beyond a submission's gradebook row: its chosen
    leaderboard name and, when it was graded, every hidden test's outcome (failure
    messages cleaned and cut to ``results.message_chars``)."""
    details: dict[str, Any] = {}
    chosen = (result.identity or {}).get(LEADERBOARD_NAME_KEY)
    if chosen:
        details[LEADERBOARD_NAME_KEY] = chosen
    if not result.rejected:
        details[TESTS_KEY] = [
            [test.todo, test.name, test.passed,
             "" if test.passed else one_line(test.message, settings.results.message_chars)]
            for test in result.tests]
    return details


def _status(row: Mapping[str, Any]) -> str:
    return str(row.get("status", ""))


def is_graded(row: Mapping[str, Any]) -> bool:
    return _status(row).startswith("graded")


def _number(cell: Any) -> float | None:
    if cell in ("", None):
        return None
    return float(cell)


# ---------------------------------------------------------------------------- formatting
def _points(value: float) -> str:
    return f"{value:.2f}"


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else NOT_SHOWN


def _stats(values: Sequence[float], shown: Any) -> dict[str, str]:
    if not values:
        return {key: NOT_SHOWN for key in ("mean", "median", "min", "max")}
    return {"mean": shown(statistics.fmean(values)), "median": shown(statistics.median(values)),
            "min": shown(min(values)), "max": shown(max(values))}


def _png(figure: Figure, alt: str, caption: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"<figure><img alt=\"{escape(alt)}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption>{escape(caption)}</figcaption></figure>")


# ---------------------------------------------------------------------------- sections
def _summary(rows: list[Mapping[str, Any]]) -> str:
    rejected = sum(_status(row).startswith("rejected") for row in rows)
    errors = sum(_status(row).startswith("error") for row in rows)
    counts = [("submissions", "Submissions", len(rows)),
              ("graded", "Graded", sum(is_graded(row) for row in rows)),
              ("rejected", "Rejected", rejected),
              ("errors", "Grader errors", errors)]
    return table([(label, True) for _, label, _ in counts],
                 [[figure_cell(f"count-{key}", str(value)) for key, _, value in counts]],
                 "summary")


def _scores(rows: list[Mapping[str, Any]], settings: GradingSettings) -> str:
    by_kind: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        score, maximum = _number(row.get("score")), _number(row.get("max_score"))
        if score is not None and maximum:
            by_kind.setdefault(str(row.get("kind") or ""), []).append((score, maximum))
    kinds = [kind for kind in settings.kinds if kind in by_kind]
    if not kinds:
        return "<p>No submission has a score.</p>"
    lines = []
    for kind in kinds:
        scores = [score for score, _ in by_kind[kind]]
        stats = _stats(scores, _points)
        lines.append([escape(kind), figure_cell(f"score-{kind}-count", str(len(scores))),
                      _points(settings.max_score(kind)),
                      *(figure_cell(f"score-{kind}-{key}", stats[key])
                        for key in ("mean", "median", "min", "max"))])
    headers = [("Kind", False), ("Submissions", True), ("Max score", True), ("Mean", True),
               ("Median", True), ("Lowest", True), ("Highest", True)]
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    axes = figure.subplots()
    bins = [100.0 * i / settings.report.histogram_bins
            for i in range(settings.report.histogram_bins + 1)]
    axes.hist([[100.0 * score / maximum for score, maximum in by_kind[kind]] for kind in kinds],
              bins=bins, stacked=True, label=kinds,
              color=[KIND_COLORS.get(kind, "#888888") for kind in kinds])
    axes.set_xlabel("score (% of the kind's maximum)")
    axes.set_ylabel("submissions")
    axes.set_xlim(0, 100)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(title="kind")
    image = _png(figure, "histogram of the scores",
                 "Scores as a share of each kind's maximum. Rejected submissions count with "
                 "their score 0; those the grader failed on have no score.")
    return table(headers, lines) + "\n" + image


def _todos(rows: list[Mapping[str, Any]], settings: GradingSettings) -> str:
    lines, names, full_shares, mean_shares = [], [], [], []
    for todo, entry in settings.todos.items():
        points = [value for row in rows if is_graded(row)
                  and (value := _number(row.get(todo))) is not None]
        if not points:
            continue
        full = sum(value >= entry.max_points for value in points)
        mean = statistics.fmean(points)
        lines.append([escape(todo), escape(entry.title),
                      figure_cell(f"todo-{todo}-graded", str(len(points))),
                      figure_cell(f"todo-{todo}-full", _share(full, len(points))),
                      figure_cell(f"todo-{todo}-mean", _points(mean)),
                      _points(entry.max_points)])
        names.append(todo)
        full_shares.append(100.0 * full / len(points))
        mean_shares.append(100.0 * mean / entry.max_points if entry.max_points else 0.0)
    if not lines:
        return "<p>No graded submission.</p>"
    headers = [("TODO", False), ("Function", False), ("Graded on", True), ("Full marks", True),
               ("Mean points", True), ("Max points", True)]
    figure = Figure(figsize=(9, 0.32 * len(names) + 1.3), layout="constrained")
    axes = figure.subplots()
    positions = list(range(len(names)))
    axes.barh([p - 0.2 for p in positions], full_shares, height=0.4, color="#4c78a8",
              label="full marks")
    axes.barh([p + 0.2 for p in positions], mean_shares, height=0.4, color="#9ecae9",
              label="mean points")
    axes.set_yticks(positions, names)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of the graded submissions (full marks) / of the TODO's points (mean)")
    axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False)
    image = _png(figure, "full marks and mean points per TODO",
                 "Per TODO: the share of graded submissions with full marks, and the mean "
                 "points as a share of the TODO's points.")
    return table(headers, lines) + "\n" + image


def _test_outcomes(rows: list[Mapping[str, Any]],
                   settings: GradingSettings) -> dict[tuple[str, str], list[tuple[bool, str]]]:
    outcomes: dict[tuple[str, str], list[tuple[bool, str]]] = {}
    for row in rows:
        if not is_graded(row):
            continue
        for todo, test, passed, message in row.get(TESTS_KEY) or []:
            outcomes.setdefault((str(todo), str(test)), []).append(
                (bool(passed), one_line(message, settings.results.message_chars)))
    return outcomes


def _failed_most(outcomes: dict[tuple[str, str], list[tuple[bool, str]]],
                 settings: GradingSettings) -> str:
    order = {(todo, test): index for index, (todo, test) in enumerate(
        (todo, test) for todo, entry in settings.todos.items() for test in entry.tests)}
    failing = [(key, runs) for key, runs in outcomes.items()
               if any(not passed for passed, _ in runs)]
    failing.sort(key=lambda item: (-sum(not passed for passed, _ in item[1]),
                                   order.get(item[0], len(order)), item[0]))
    if not failing:
        return "<p>No hidden test failed.</p>"
    lines = []
    for position, ((todo, test), runs) in enumerate(failing[: settings.report.most_failed], 1):
        failures = [message for passed, message in runs if not passed]
        common = Counter(failures).most_common(settings.report.messages_per_test)
        messages = "<br>".join(
            f"<span class=\"message\">{escape(message or '(no message)')}</span>"
            + (f" <b>×{count}</b>" if count > 1 else "") for message, count in common)
        lines.append([str(position), escape(todo), escape(test.replace("_", " ")),
                      figure_cell(f"failed-{position}", f"{len(failures)} of {len(runs)}")
                      + f"<span hidden data-figure=\"failed-{position}-test\">"
                        f"{escape(todo)}/{escape(test)}</span>",
                      messages])
    headers = [("#", True), ("TODO", False), ("Hidden test", False), ("Failed", True),
               ("Most frequent messages", False)]
    return table(headers, lines)


def _every_test(outcomes: dict[tuple[str, str], list[tuple[bool, str]]],
                settings: GradingSettings) -> str:
    lines = []
    for todo, entry in settings.todos.items():
        for test, points in entry.tests.items():
            runs = outcomes.get((todo, test))
            if not runs:
                continue
            passed = sum(flag for flag, _ in runs)
            lines.append([escape(todo), escape(test.replace("_", " ")), f"{points:g}",
                          str(len(runs)), str(passed),
                          figure_cell(f"test-{todo}-{test}", _share(passed, len(runs)))])
    if not lines:
        return "<p>No graded submission ran a hidden test.</p>"
    headers = [("TODO", False), ("Hidden test", False), ("Points", True), ("Run on", True),
               ("Passed", True), ("Pass rate", True)]
    return (f"<details open><summary>Every hidden test ({len(lines)})</summary>\n"
            + table(headers, lines) + "\n</details>")


def _models(rows: list[Mapping[str, Any]], settings: GradingSettings) -> str:
    models = [model for model in settings.models
              if any(is_graded(row) and f"{model}_points" in row for row in rows)]
    if not models:
        return "<p>No graded submission includes trained models.</p>"
    lines, values = [], {}
    for model in models:
        entry = settings.models[model]
        graded = [row for row in rows if is_graded(row) and f"{model}_points" in row]
        scores = [value for row in graded if (value := _number(row.get(f"{model}_f1")))
                  is not None]
        values[model] = scores
        stats = _stats(scores, lambda value: f"{value:.4f}")
        reached = sum(value >= entry.baseline for value in scores)
        lines.append([escape(entry.title), f"{entry.baseline:.2f}",
                      figure_cell(f"f1-{model}-count", str(len(scores))),
                      figure_cell(f"f1-{model}-missing", str(len(graded) - len(scores))),
                      *(figure_cell(f"f1-{model}-{key}", stats[key])
                        for key in ("mean", "median", "min", "max")),
                      figure_cell(f"f1-{model}-reached", str(reached))])
    headers = [("Model", False), ("Baseline", True), ("Scored", True), ("No F1", True),
               ("Mean", True), ("Median", True), ("Lowest", True), ("Highest", True),
               ("At or above baseline", True)]
    figure = Figure(figsize=(9, 2.6 * len(models)), layout="constrained")
    axes_list = figure.subplots(len(models), 1, squeeze=False)[:, 0]
    bins = [i / settings.report.histogram_bins for i in range(settings.report.histogram_bins + 1)]
    for index, (axes, model) in enumerate(zip(axes_list, models, strict=True)):
        entry = settings.models[model]
        axes.hist(values[model], bins=bins, color=MODEL_COLORS[index % len(MODEL_COLORS)])
        axes.axvline(entry.baseline, color=BASELINE_COLOR, linestyle="--", linewidth=1.5,
                     label=f"baseline {entry.baseline:.2f}")
        axes.set_xlim(0, 1)
        axes.set_title(entry.title, fontsize=11)
        axes.set_ylabel("submissions")
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.legend(loc="upper left")
    axes_list[-1].set_xlabel("test-set entity F1")
    image = _png(figure, "F1 per model against the baseline",
                 "Test-set entity F1 of each submitted model; the dashed line is the baseline "
                 "that earns full performance points. Models that could not be scored have no "
                 "F1.")
    return table(headers, lines) + "\n" + image


def _not_graded(rows: list[Mapping[str, Any]], settings: GradingSettings) -> str:
    lines = []
    for row in rows:
        if is_graded(row):
            continue
        status, _, reason = _status(row).partition(": ")
        lines.append([escape(one_line(row.get("submission", ""))), escape(status),
                      f"<span class=\"message\">"
                      f"{escape(one_line(reason, settings.results.message_chars))}</span>"])
    if not lines:
        return "<p>Every submission was graded.</p>"
    return table([("Submission", False), ("Outcome", False), ("Reason", False)], lines)


def _needs_review(rows: list[Mapping[str, Any]]) -> str:
    """The submissions whose model TODOs were flagged as right under other layer names
    (the gradebook's ``needs_review``), by file name, for a TA to look at."""
    lines = [[escape(one_line(row.get("submission", ""))),
              f"<span class=\"message\">{escape(one_line(row['needs_review']))}</span>"]
             for row in rows if row.get("needs_review")]
    if not lines:
        return "<p>No submission needs a review of its layer names.</p>"
    return ("<p>Models built right under other layer names than the hint's (their layers, "
            "loaded with the reference weights in registration order, reproduce the reference "
            "outputs); the evidence is in each submission's feedback.</p>\n"
            + table([("Submission", False), ("Model, TODOs, points at stake, setting", False)],
                    lines))


def render(rows: Iterable[Mapping[str, Any]], settings: GradingSettings, title: str,
           extra_sections: Sequence[tuple[str, str]] = ()) -> str:
    """The class report of the batch ``rows`` (gradebook rows with :func:`batch_details`);
    ``extra_sections`` (heading, HTML), e.g. the late submissions, come last."""
    rows = sorted(rows, key=lambda row: str(row.get("submission", "")))
    outcomes = _test_outcomes(rows, settings)
    heading = f"Class report: {one_line(title)}"
    body = "\n".join([
        f"<h1>{escape(heading)}</h1>",
        "<p class=\"lead\">Written by <code>ner-instructor grade-batch</code> beside the "
        "gradebook; every number comes from the same grading run.</p>",
        _summary(rows),
        "<h2>Scores</h2>", _scores(rows, settings),
        "<h2>TODOs</h2>", _todos(rows, settings),
        "<h2>Hidden tests failed most</h2>", _failed_most(outcomes, settings),
        "<h2>Pass rate per hidden test</h2>", _every_test(outcomes, settings),
        "<h2>Test-set F1 against the baselines</h2>", _models(rows, settings),
        "<h2>Submissions not graded</h2>", _not_graded(rows, settings),
        "<h2>Needs review</h2>", _needs_review(rows),
        *(part for heading, html in extra_sections
          for part in (f"<h2>{escape(heading)}</h2>", html)),
    ])
    return page(heading, body)


def write_class_report(rows: Iterable[Mapping[str, Any]], out_dir: Path,
                       settings: GradingSettings, title: str,
                       extra_sections: Sequence[tuple[str, str]] = ()) -> Path | None:
    """Write the class report into ``out_dir`` (nothing when ``report.enabled`` is off)."""
    if not settings.report.enabled:
        return None
    path = out_dir / settings.report.file
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(render(rows, settings, title, extra_sections),
                         encoding="utf-8")
    temporary.replace(path)
    return path
