"""The class report and the class leaderboard of a graded batch.

One small batch, graded once for this module with two workers and the
leaderboard turned on in a copy of grading.yaml: final submissions of the
reference and of two catalogue bugs (tests/broken_implementations/), milestone
submissions of the reference and two more bugs, one final with a hostile
leaderboard name, and one file that is not a zip (about a minute on two cores).

Checked: every number of the report (its ``data-figure`` cells) against the
gradebook CSV and the results.json files, the leaderboard files and results.json
entries, escaping, determinism, and, in headless Chromium with every network
request refused, that the page and its plots show. The screenshot stays in the
test's temporary folder; set NER_REPORT_SCREENSHOT=PATH to keep a copy (needs the
Debian package `chromium`; the browser test is skipped without it).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import statistics
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_grader_broken_implementations import BROKEN, apply_variant
from test_grader_fixtures import (
    hidden_labels,
    reference_submission,
    trained_project,
    variant_submission,
)

from autograder.grader import class_report
from autograder.grader.batch import BatchReport, grade_batch
from autograder.grader.leaderboard import anonymous_id
from autograder.grader.settings import GradingSettings, default_settings_path, load_settings

#: The graded batch is shared by the tests that use it: one xdist worker runs them all.
graded_batch = pytest.mark.xdist_group("class_report")

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE_NAME = "<img src=x onerror=alert(1)>\x1b[2J\u202e"
#: submission: (kind, catalogue entry or None for the reference, identity)
BATCH = {
    "ada": ("final", None, {"student_id": "s1000001", "name": "Ada Lovelace",
                            "leaderboard_name": "Team Viterbi"}),
    "bob": ("final", "ffnn-no-relu", {"student_id": "s1000002", "name": "Bob Byte"}),
    "carol": ("final", "rnn-right-to-left", {"student_id": "s1000003", "name": "Carol Cell"}),
    "mallory": ("final", None, {"student_id": "s1000004", "name": "Mallory <b>M</b>",
                                "leaderboard_name": HOSTILE_NAME}),
    "dan": ("milestone", None, {"student_id": "s1000005", "name": "Dan Dense"}),
    "eve": ("milestone", "tokenizer-unknown-to-pad",
            {"student_id": "s1000006", "name": "Eve Embed"}),
    "frank": ("milestone", "trainer-no-zero-grad",
              {"student_id": "s1000007", "name": "Frank Forward"}),
}


def leaderboard_on(folder: Path) -> Path:
    """grading.yaml with ``leaderboard: enabled: true``, as docs/grading.md says."""
    text = default_settings_path().read_text()
    old = "leaderboard:\n  enabled: false"
    assert old in text
    path = folder / "grading.yaml"
    path.write_text(text.replace(old, "leaderboard:\n  enabled: true", 1))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[BatchReport, GradingSettings]:
    root = tmp_path_factory.mktemp("class-report")
    project = trained_project(root / "project-root")
    bases = {kind: reference_submission(project, kind, root / f"base-{kind}")
             for kind in ("milestone", "final")}
    variants = {variant.name: variant for variant in BROKEN}
    folder = root / "class-2026"
    folder.mkdir()
    for name, (kind, bug, identity) in BATCH.items():
        replace: dict[str, str | None] = {"identity.json": json.dumps(identity)}
        if bug:
            variant = variants[bug]
            replace[f"ner_helpers/{variant.file}"] = apply_variant(variant)
        variant_submission(bases[kind], folder / f"{name}.zip", replace)
    (folder / "junk.zip").write_bytes(b"not a zip at all")
    settings = load_settings(leaderboard_on(root))
    report = grade_batch(folder, root / "graded", workers=2, kind="auto", settings=settings,
                         hidden_labels=hidden_labels(project),
                         test_split=project / "dataset" / "test.json", progress=False)
    return report, settings


class FigureReader(HTMLParser):
    """The text of every element with a ``data-figure`` attribute, and the ``src`` of
    every image and the ``href`` of every link."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.sources: list[str] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.sources += [value or "" for key, value in attrs if key in ("src", "href")]
        if tag in ("img", "br", "meta"):
            return
        key = values.get("data-figure")
        self._open.append(key)
        if key is not None:
            self.figures[key] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("img", "br", "meta") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for key in self._open:
            if key is not None:
                self.figures[key] += data


def read_page(path: Path) -> FigureReader:
    reader = FigureReader()
    reader.feed(path.read_text(encoding="utf-8"))
    return reader


def gradebook(report: BatchReport) -> list[dict[str, str]]:
    with open(report.gradebook, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def points(value: float) -> str:
    return f"{value:.2f}"


def share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%"


@pytest.mark.slow
@graded_batch
def test_the_report_shows_the_gradebooks_figures(graded) -> None:
    report, settings = graded
    page_path = report.out_dir / settings.report.file
    assert report.pages[0] == page_path
    figures = read_page(page_path).figures
    rows = gradebook(report)
    by_name = {row["submission"]: row for row in rows}
    assert sorted(by_name) == sorted([*BATCH, "junk"])
    assert by_name["junk"]["status"].startswith("rejected: ")
    graded_rows = [row for row in rows if row["status"].startswith("graded")]
    assert len(graded_rows) == len(BATCH), [row["status"] for row in rows]

    assert figures["count-submissions"] == str(len(rows))
    assert figures["count-graded"] == str(len(graded_rows))
    assert figures["count-rejected"] == "1" and figures["count-errors"] == "0"

    for kind in ("milestone", "final"):
        scores = [float(row["score"]) for row in rows
                  if row["kind"] == kind and row["score"] and row["max_score"]]
        assert figures[f"score-{kind}-count"] == str(len(scores))
        assert figures[f"score-{kind}-mean"] == points(statistics.fmean(scores))
        assert figures[f"score-{kind}-median"] == points(statistics.median(scores))
        assert figures[f"score-{kind}-min"] == points(min(scores))
        assert figures[f"score-{kind}-max"] == points(max(scores))

    # the TODOs and models a final submission is graded on (an optional section that is
    # off adds none)
    for todo in settings.kind("final").todos:
        entry = settings.todos[todo]
        values = [float(row[todo]) for row in graded_rows if row[todo] != ""]
        assert figures[f"todo-{todo}-graded"] == str(len(values))
        full = sum(value >= entry.max_points for value in values)
        assert figures[f"todo-{todo}-full"] == share(full, len(values))
        assert figures[f"todo-{todo}-mean"] == points(statistics.fmean(values))
    assert figures["todo-TODO-1.1-1-full"] == share(len(graded_rows) - 1, len(graded_rows))
    assert figures["todo-TODO-4-2-full"] == share(3, 4)

    for model in settings.kind("final").models:
        entry = settings.models[model]
        cells = [row[f"{model}_f1"] for row in graded_rows if row["kind"] == "final"]
        scores = [float(cell) for cell in cells if cell]
        assert figures[f"f1-{model}-count"] == str(len(scores)) and len(scores) == 4
        assert figures[f"f1-{model}-missing"] == str(len(cells) - len(scores))
        assert figures[f"f1-{model}-mean"] == f"{statistics.fmean(scores):.4f}"
        assert figures[f"f1-{model}-median"] == f"{statistics.median(scores):.4f}"
        assert figures[f"f1-{model}-min"] == f"{min(scores):.4f}"
        assert figures[f"f1-{model}-max"] == f"{max(scores):.4f}"
        assert figures[f"f1-{model}-reached"] == str(sum(s >= entry.baseline for s in scores))


@pytest.mark.slow
@graded_batch
def test_the_report_shows_each_hidden_tests_pass_rate_and_the_failures(graded) -> None:
    report, settings = graded
    page_path = report.out_dir / settings.report.file
    figures = read_page(page_path).figures
    page = page_path.read_text(encoding="utf-8")
    runs: dict[tuple[str, str], list[bool]] = {}
    for name in BATCH:
        results = json.loads((report.out_dir / name / "results.json").read_text())
        for test in results["tests"]:
            todo = test["tags"][0]
            if todo.startswith("TODO-"):
                key = (todo, test["name"].split(": ", 1)[1].replace(" ", "_"))
                runs.setdefault(key, []).append(test["status"] == "passed")
    final_todos = settings.kind("final").todos
    assert len(runs) == sum(len(settings.todos[todo].tests) for todo in final_todos)
    for (todo, test), outcomes in runs.items():
        assert figures[f"test-{todo}-{test}"] == share(sum(outcomes), len(outcomes))
    most = max(outcomes.count(False) for outcomes in runs.values())
    assert most >= 1
    top_todo, top_test = figures["failed-1-test"].split("/")
    assert runs[(top_todo, top_test)].count(False) == most
    assert figures["failed-1"] == f"{most} of {len(runs[(top_todo, top_test)])}"
    assert "tokens not in the vocabulary get the unknown id 1" in page
    assert "gradients left on the parameters from before the epoch" in page
    junk = next(row for row in gradebook(report) if row["submission"] == "junk")
    assert junk["status"].split(": ", 1)[1].split(" (")[0] in page.replace("&#x27;", "'")


@pytest.mark.slow
@graded_batch
def test_the_report_is_self_contained_escaped_and_deterministic(graded) -> None:
    report, settings = graded
    page_path = report.out_dir / settings.report.file
    reader = read_page(page_path)
    page = page_path.read_text(encoding="utf-8")
    assert len(reader.sources) == 3
    assert all(source.startswith("data:image/png;base64,") for source in reader.sources)
    assert "http://" not in page and "https://" not in page
    assert "<b>M</b>" not in page and "\x1b" not in page
    assert class_report.render(report.rows, settings, "class-2026") == page


@pytest.mark.slow
@graded_batch
def test_the_leaderboard_ranks_final_submissions_under_pseudonyms(graded) -> None:
    report, settings = graded
    board = settings.results.leaderboard
    csv_path, html_path = (report.out_dir / f"{board.file_stem}.{ext}" for ext in ("csv", "html"))
    assert set(report.pages[1:]) == {csv_path, html_path}
    rows = {row["submission"]: row for row in gradebook(report)}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    names = {"ada": "Team Viterbi", "mallory": "<img src=x onerror=alert(1)>",
             "bob": anonymous_id("s1000002", board), "carol": anonymous_id("s1000003", board)}
    assert sorted(item["name"] for item in table) == sorted(names.values())
    expected = sorted(names, key=lambda name: (-float(rows[name]["rnn_f1"]),
                                               -float(rows[name]["ffnn_f1"]), names[name]))
    assert [item["name"] for item in table] == [names[name] for name in expected]
    for item, name in zip(table, expected, strict=True):
        assert item["rnn_f1"] == f"{float(rows[name]['rnn_f1']):.4f}"
        assert item["ffnn_f1"] == f"{float(rows[name]['ffnn_f1']):.4f}"
    ada, mallory = (next(i for i in table if i["name"] == names[n]) for n in ("ada", "mallory"))
    assert ada["rank"] == mallory["rank"], "the same models share a rank"
    text = csv_path.read_text() + html_path.read_text()
    assert all(rows[name]["student_id"] not in text for name in names)
    assert all(rows[name]["name"] not in text for name in names)
    assert "<img" not in html_path.read_text()

    results = json.loads((report.out_dir / "ada" / "results.json").read_text())
    assert results["leaderboard"] == [
        {"name": "RNN F1", "value": float(rows["ada"]["rnn_f1"]), "order": "desc"},
        {"name": "FFNN F1", "value": float(rows["ada"]["ffnn_f1"]), "order": "desc"}]
    for name in ("dan", "junk"):
        assert "leaderboard" not in json.loads(
            (report.out_dir / name / "results.json").read_text())


@pytest.mark.slow
@graded_batch
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="no /usr/bin/chromium: install it with `apt-get install -y "
                           "chromium` to run the real-browser test")
def test_the_report_reads_well_in_chromium_offline(graded, tmp_path: Path) -> None:
    from playwright.sync_api import expect
    from test_browser import offline_page

    report, settings = graded
    page_path = report.out_dir / settings.report.file
    screenshot = tmp_path / "class-report.png"
    requested: list[str] = []
    with offline_page(requested) as page:
        page.goto(page_path.as_uri())
        expect(page.locator("h1")).to_have_text("Class report: class-2026")
        expect(page.locator("h2")).to_have_count(7)  # with "Needs review"
        images = page.locator("figure img")
        expect(images).to_have_count(3)
        for index in range(3):
            width = images.nth(index).evaluate("image => image.naturalWidth")
            assert width > 300, index
        expect(page.locator("[data-figure='count-graded']")).to_be_visible()
        page.screenshot(path=str(screenshot), full_page=True)
    assert requested == []
    assert screenshot.stat().st_size > 50_000
    keep = os.environ.get("NER_REPORT_SCREENSHOT")
    if keep:
        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, keep)


def test_a_batch_with_nothing_graded_and_hostile_text_still_gives_a_page(tmp_path: Path) -> None:
    """Fast: rows as the batch returns them, none graded, with hostile reasons."""
    settings = load_settings()
    rows = [{"submission": "junk<script>", "kind": "final", "score": 0, "max_score": 100,
             "status": "rejected: junk.zip is not a zip <script>alert(1)</script>\x1b[2J"},
            {"submission": "dead", "status": "error: the grading process was killed"}]
    path = class_report.write_class_report(rows, tmp_path, settings, "empty <class>")
    assert path == tmp_path / settings.report.file
    page = path.read_text(encoding="utf-8")
    figures = read_page(path).figures
    assert figures["count-submissions"] == "2" and figures["count-graded"] == "0"
    assert figures["count-rejected"] == "1" and figures["count-errors"] == "1"
    assert figures["score-final-count"] == "1" and figures["score-final-max"] == "0.00"
    assert "No graded submission." in page and "No hidden test failed." in page
    assert "<script>" not in page and "\x1b" not in page
    assert "junk.zip is not a zip &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "empty &lt;class&gt;" in page
    assert class_report.render(list(reversed(rows)), settings, "empty <class>") == page
    off = dataclasses.replace(settings, report=dataclasses.replace(settings.report,
                                                                   enabled=False))
    assert class_report.write_class_report(rows, tmp_path / "off", off, "x") is None
