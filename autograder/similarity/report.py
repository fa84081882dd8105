"""The similarity report: one self-contained HTML page and a CSV of the same figures.

The page (style inline, no script, nothing loaded from elsewhere) says first that
similarity is evidence to look at, not a verdict; then ranks the pairs by
overall overlap with the score of every TODO, flags those at or above the
threshold, ranks the pairs per TODO, shows the top pairs' regions side by side
with the shared code highlighted, and lists what could not be read. Every piece
of student text (code, names, file names, messages) is HTML-escaped.

The CSV has one row per pair, in the page's order: rank, both names, whether
the second is a known solution, the overall score, the flag and one score per
TODO (empty where a side has no comparable region); cells a spreadsheet would
read as formulas are defused.
"""

from __future__ import annotations

import csv
from html import escape
from pathlib import Path

import numpy as np

from autograder.grader.html_page import page, table
from autograder.grader.safe_text import clean_text, csv_cell, one_line
from autograder.previous_files import keep_previous_file
from autograder.similarity.analysis import SimilarityResult
from autograder.similarity.compare import PairResult, highlighted_slices
from autograder.similarity.fingerprints import RegionFingerprint

PER_TODO_ROWS = 10
MESSAGE_CHARS = 300

EXTRA_STYLE = """
<style>
.caution { border-left: 4px solid #b58100; background: #fff8e5; padding: 0.6em 1em; }
tr.flagged td { background: #fde8e8; }
td.flag { color: #a4161a; font-weight: bold; }
.wide { overflow-x: auto; }
td.high { font-weight: bold; color: #a4161a; }
.side { display: flex; gap: 1em; align-items: flex-start; }
.side > div { flex: 1 1 0; min-width: 0; }
.side h4 { margin: 0.3em 0; font-size: 0.95em; overflow-wrap: anywhere; }
pre.code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.8em; background: #f6f8fa;
           border: 1px solid #d0d7de; padding: 0.5em; overflow-x: auto; margin: 0; }
pre.code mark { background: #ffd33d; }
span.ln { color: #8c959f; user-select: none; }
</style>
"""

CAUTION = (
    "<div class=\"caution\"><p><strong>Similarity is evidence to look at, not a verdict.</strong> "
    "A high overlap says that two pieces of code share long normalised token sequences; it "
    "does not say who wrote what, or that anyone copied. Independent correct solutions of "
    "a small TODO overlap too (docs/grading.md, \"Similarity\", quotes how much), and so does "
    "code written from the same lecture or hint. Read both regions side by side, weigh the "
    "rest of the work, and talk to the students before concluding anything.</p></div>")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _who(text: str) -> str:
    return escape(one_line(text))


def _pair_id(rank: int) -> str:
    return f"pair-{rank}"


def _render_code(fingerprint: RegionFingerprint, slices: np.ndarray) -> str:
    """The region's code with the shared parts in ``<mark>``, each line numbered."""
    code = fingerprint.raw_code
    marked = np.zeros(len(code) + 1, dtype=bool)
    for start, end in slices.T.tolist():
        marked[max(0, start):max(0, min(len(code), end))] = True
    first = int(fingerprint.extra.get("first_line", 1))
    lines_out = []
    position = 0
    for number, line in enumerate(code.split("\n")):
        pieces, run_start = [], 0
        for i in range(1, len(line) + 1):
            if i == len(line) or marked[position + i] != marked[position + run_start]:
                text = escape(clean_text(line[run_start:i]))
                pieces.append(f"<mark>{text}</mark>" if marked[position + run_start] else text)
                run_start = i
        lines_out.append(f"<span class=\"ln\">{first + number:5d} </span>" + "".join(pieces))
        position += len(line) + 1
    return "\n".join(lines_out)


def _side_by_side(result: SimilarityResult, rank: int, pair: PairResult) -> str:
    threshold = result.settings.threshold
    flagged = pair.overall >= threshold
    parts = [f"<h3 id=\"{_pair_id(rank)}\">{rank}. {_who(pair.a.label)} and "
             f"{_who(pair.b.label)}: {_percent(pair.overall)} overall"
             f"{' (flagged)' if flagged else ''}</h3>"]
    order = sorted(pair.todos.items(), key=lambda item: (-item[1].score, item[0]))
    for todo, match in order:
        if match.score <= 0:
            continue
        left, right = pair.a.regions[todo], pair.b.regions[todo]
        slices_a, slices_b = highlighted_slices(left, right)
        file = escape(str(left.extra.get("file", "")))
        parts.append(
            f"<p><strong>{escape(todo)}</strong> ({file}): {_percent(match.score)} "
            f"(shares {_percent(match.share_a)} and {_percent(match.share_b)})</p>"
            "<div class=\"side\">"
            f"<div><h4>{_who(pair.a.label)}</h4><pre class=\"code\">"
            f"{_render_code(left, slices_a)}</pre></div>"
            f"<div><h4>{_who(pair.b.label)}</h4><pre class=\"code\">"
            f"{_render_code(right, slices_b)}</pre></div></div>")
    if len(parts) == 1:
        parts.append("<p>No shared code.</p>")
    return "\n".join(parts)


def shown_pairs(result: SimilarityResult) -> list[tuple[int, PairResult]]:
    """The pairs in the ranking table: every flagged pair, and the top ``shown_pairs``
    with any overlap."""
    limit = result.settings.shown_pairs
    shown = []
    for rank, pair in enumerate(result.pairs, start=1):
        if pair.overall <= 0 and pair.best_todo <= 0:
            break
        if rank > limit and pair.overall < result.settings.threshold:
            break
        shown.append((rank, pair))
    return shown


def _ranking_table(result: SimilarityResult, shown: list[tuple[int, PairResult]]) -> str:
    todos = [spec.todo for spec in result.specs]
    headers = [("rank", True), ("first", False), ("second", False), ("overall", True)]
    headers += [(todo.removeprefix("TODO-"), True) for todo in todos]
    headers += [("flag", False)]
    rows = []
    threshold = result.settings.threshold
    for position, (rank, pair) in enumerate(shown):
        flagged = pair.overall >= threshold
        second = _who(pair.b.label)
        cells = [str(rank), _who(pair.a.label),
                 f"<a href=\"#{_pair_id(rank)}\">{second}</a>"
                 if position < result.settings.shown_pairs else second,
                 f"<span data-overall=\"{pair.overall:.4f}\">{_percent(pair.overall)}</span>"]
        cells += [_todo_cell(pair, todo, threshold, result.settings.weak_todos)
                  for todo in todos]
        cells.append("flagged" if flagged else "")
        rows.append(cells)
    html = table(headers, rows, "ranking")
    # mark flagged rows and the flag cell for the eye
    for rank, pair in shown:
        if pair.overall >= threshold:
            html = html.replace(f"<tr><td class=\"num\">{rank}</td>",
                                f"<tr class=\"flagged\" data-rank=\"{rank}\">"
                                f"<td class=\"num\">{rank}</td>", 1)
    html = html.replace("<td class=\"num\"><b>", "<td class=\"num high\"><b>")
    return "<div class=\"wide\">" + html.replace(
        "<td>flagged</td>", "<td class=\"flag\">flagged</td>") + "</div>"


def _todo_cell(pair: PairResult, todo: str, threshold: float, weak: tuple[str, ...]) -> str:
    """A TODO's score in the ranking; in bold at or above the threshold on a TODO that
    counts in the overall score."""
    if todo not in pair.todos:
        return ""
    value = pair.todos[todo].score
    text = _percent(value)
    return f"<b>{text}</b>" if value >= threshold and todo not in weak else text


def _per_todo(result: SimilarityResult) -> str:
    parts = []
    for spec in result.specs:
        ranked = sorted(((pair.todos[spec.todo].score, rank, pair)
                         for rank, pair in enumerate(result.pairs, start=1)
                         if spec.todo in pair.todos and pair.todos[spec.todo].score > 0),
                        key=lambda item: (-item[0], item[1]))[:PER_TODO_ROWS]
        title = f"{spec.todo} ({spec.owner}.{spec.method}, {spec.file})"
        if spec.todo in result.settings.weak_todos:
            title += ": not in the overall score (independent solutions overlap as much)"
        if not ranked:
            parts.append(f"<h3>{escape(title)}</h3><p>No overlap, or no regions long enough "
                         f"to compare (at least {result.settings.min_region_chars} normalised "
                         "characters).</p>")
            continue
        rows = [[_percent(score), _who(pair.a.label), _who(pair.b.label), str(rank)]
                for score, rank, pair in ranked]
        parts.append(f"<h3>{escape(title)}</h3>" + table(
            [("overlap", True), ("first", False), ("second", False), ("overall rank", True)],
            rows))
    return "\n".join(parts)


def _problems(result: SimilarityResult) -> str:
    rows = [[_who(source), escape(one_line(reason)[:MESSAGE_CHARS])]
            for source, reason in result.skipped]
    for author in result.students + result.known:
        rows += [[_who(author.label), escape(one_line(problem)[:MESSAGE_CHARS])]
                 for problem in author.problems]
    if not rows:
        return "<p>Every submission was read, every region found.</p>"
    return table([("who", False), ("problem", False)], rows)


def _side_by_side_note(result: SimilarityResult, shown: list[tuple[int, PairResult]]) -> str:
    limit = result.settings.shown_pairs
    if len(shown) <= limit:
        return ""
    return (f"<p>The first {limit} pairs of the ranking; {len(shown) - limit} more are in "
            "the table above and the CSV (<code>similarity.shown_pairs</code> in "
            "grading.yaml shows more).</p>")


def render_html(result: SimilarityResult, title: str) -> str:
    settings = result.settings
    shown = shown_pairs(result)
    flagged = sum(1 for pair in result.pairs if pair.overall >= settings.threshold)
    summary = table([("figure", False), ("value", False)], [
        ["students (latest final submission each)", str(len(result.students))],
        ["known solutions", str(len(result.known))],
        ["pairs compared", str(len(result.pairs))],
        ["flagged (overall at or above the threshold)",
         f"<span data-flagged=\"{flagged}\">{flagged}</span>"],
        ["threshold", _percent(settings.threshold)],
        ["k-gram / window (normalised characters / k-grams)", f"{settings.k} / {settings.window}"],
        ["shortest region compared (normalised characters)", str(settings.min_region_chars)],
    ], "summary")
    body = [
        f"<h1>{escape(title)}</h1>",
        "<p class=\"lead\">The code each student wrote inside each TODO region, compared "
        "across the class and against known solutions. Provided code, the release's hints "
        "and stubs never count. Identifiers, string literals, comments and whitespace are "
        "normalised before comparing (copydetect's tokenizer and winnowing).</p>",
        CAUTION,
        summary,
        "<h2>Pairs ranked by overall overlap</h2>",
        "<p>Overall: the larger of the two sides' shares of code found in the other, over "
        "the TODOs both wrote, except "
        f"{escape(', '.join(settings.weak_todos) or 'none')} (their hints dictate the "
        "code). Per TODO the same on that TODO alone; in bold at or above the threshold.</p>",
        _ranking_table(result, shown) if shown else "<p>No overlap between any pair.</p>",
        "<h2>Per TODO</h2>", _per_todo(result),
        "<h2>Side by side</h2>",
        _side_by_side_note(result, shown),
        "\n".join(_side_by_side(result, rank, pair)
                  for rank, pair in shown[:settings.shown_pairs])
        or "<p>Nothing to show.</p>",
        "<h2>Not read or not found</h2>", _problems(result),
    ]
    return page(title, "\n".join(body)).replace("</head>", EXTRA_STYLE + "</head>", 1)


def write_csv(result: SimilarityResult, path: Path) -> Path:
    todos = [spec.todo for spec in result.specs]
    keep_previous_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["rank", "first", "second", "second_is_known", "overall", "flagged",
                         *todos])
        for rank, pair in enumerate(result.pairs, start=1):
            writer.writerow([rank, csv_cell(pair.a.label), csv_cell(pair.b.label),
                             "yes" if pair.b.known else "no", f"{pair.overall:.4f}",
                             "yes" if pair.overall >= result.settings.threshold else "no",
                             *(f"{pair.todos[todo].score:.4f}" if todo in pair.todos else ""
                               for todo in todos)])
    return path


def write_report(result: SimilarityResult, out_dir: Path, title: str) -> tuple[Path, Path]:
    """Write ``OUT/<file_stem>.html`` and ``.csv`` (earlier ones kept as ``.prev-N``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{result.settings.file_stem}.html"
    keep_previous_file(html_path)
    html_path.write_text(render_html(result, title), encoding="utf-8")
    return html_path, write_csv(result, out_dir / f"{result.settings.file_stem}.csv")
