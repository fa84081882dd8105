"""``ner-instructor similarity``: TODO regions, planted copies, hostile input, the report.

The class is built as real submission zips (identity.json, submission.json and the
six TODO files) and read through the grader's unpacking, as the command reads a
``grade-batch`` folder. Student ``sJ`` writes the J-th independent solution of every
TODO that has one (tests/similarity_corpus.py: the reference and the catalogue's
whole-body correct alternatives) and leaves the others as the release's stub, so
every two of them are independent on every TODO both wrote. ``copier`` hands in
student ``s1``'s code disguised (names renamed, comments changed, statements
reordered, unused lines added); ``borrower`` disguises the RNN forward of a known
public solution.
"""

from __future__ import annotations

import csv
import json
import math
import sys
import zipfile
from itertools import combinations
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))

from similarity_corpus import (  # noqa: E402
    calibration_table,
    independent_overall,
    independent_scores,
    independent_solutions,
    planted_copy,
)

from autograder.cli.main import main  # noqa: E402
from autograder.grader.settings import default_settings_path, load_settings  # noqa: E402
from autograder.release.markers import strip_solutions  # noqa: E402
from autograder.similarity.regions import (  # noqa: E402
    extract_regions,
    specs_by_file,
    submitted_reference,
    todo_specs,
)
from autograder.similarity.settings import load_similarity  # noqa: E402

pytestmark = pytest.mark.xdist_group("similarity")
FILES = ("tokenizer.py", "collator.py", "embedding.py", "trainer.py", "ffnn.py", "rnn.py")
STUDENTS = 5
#: Students whose code is handed in again, disguised: index -> (student ID, name).
COPIERS = {1: ("copier", "Copy Cat"), 2: ("copier2", "Second Copy")}
#: The one TODO where the catalogue's alternatives are the reference with a line or two
#: changed (independent pairs overlap up to 98%, as much as a disguised copy): no test of
#: ranking applies there, and docs/grading.md says so.
NOT_SEPARABLE = {"TODO-3-1"}
HOSTILE_NAME = "=HYPERLINK(\"x\")<img src=x onerror=alert(1)>"
INJECTED = "banner = \"</pre><script>alert(2)</script><img src=x onerror=alert(3)>\""


# ---------------------------------------------------------------------------- building a class
def file_of(todo: str) -> str:
    return next(spec.file for spec in todo_specs() if spec.todo == todo)


def release_text(file: str) -> str:
    return strip_solutions((REPO / "ner_helpers" / file).read_text(encoding="utf-8"))


def student_files(bodies: dict[str, str]) -> dict[str, str]:
    """The six TODO files of a student who wrote ``bodies`` (TODO -> code) and left every
    other TODO as the release's stub."""
    files = {}
    for file in FILES:
        todos = [spec.todo for spec in todo_specs() if spec.file == file]
        mine = {todo: bodies[todo] for todo in todos if todo in bodies}
        files[file] = _stub_others(file, mine) if mine else release_text(file)
    return files


def _stub_others(file: str, mine: dict[str, str]) -> str:
    from autograder.release.markers import find_regions, stub_line

    source = (REPO / "ner_helpers" / file).read_text(encoding="utf-8")
    lines = source.splitlines()
    out, cursor = [], 0
    for region in find_regions(source, file):
        out.extend(lines[cursor:region.begin_line])
        if region.todo in mine:
            out.extend(region.indent + line if line.strip() else ""
                       for line in mine[region.todo].splitlines())
        else:
            out.append(stub_line(region.todo, region.indent))
        cursor = region.end_line + 1
    out.extend(lines[cursor:])
    return "\n".join(out) + "\n"


def write_submission(path: Path, student_id: str, name: str, files: dict[str, str],
                     kind: str = "final") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("identity.json", json.dumps({"student_id": student_id,
                                                      "name": name}))
        archive.writestr("submission.json", json.dumps({"kind": kind}))
        for file, text in files.items():
            archive.writestr(f"ner_helpers/{file}", text)
    return path


def independent_bodies(index: int) -> dict[str, str]:
    """The ``index``-th independent solution of every TODO that has that many."""
    chosen = {}
    for todo, authors in independent_solutions().items():
        names = sorted(authors)
        if index < len(names):
            chosen[todo] = authors[names[index]]
    return chosen


def run_similarity(*args: str) -> int:
    return main(["similarity", "--no-progress", *args])


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("similarity")
    folder = root / "class"
    folder.mkdir()
    for index in range(STUDENTS):
        write_submission(folder / f"s{index}_final-002.zip", f"s{index}", f"Student {index}",
                         student_files(independent_bodies(index)))
    # an older final of s0 (its stubs only) and a milestone of s1: neither counts
    write_submission(folder / "s0_final-001.zip", "s0", "Student 0",
                     {file: release_text(file) for file in FILES})
    write_submission(folder / "s1_milestone-001.zip", "s1", "Student 1",
                     student_files(independent_bodies(1)), kind="milestone")
    for index, (student, name) in COPIERS.items():
        copied = {todo: planted_copy(code) for todo, code in independent_bodies(index).items()}
        write_submission(folder / f"{student}.zip", student, name, student_files(copied))
    known_rnn = independent_solutions()["TODO-5-2"]["reference"]
    write_submission(folder / "borrower.zip", "borrower", "Bo Rower",
                     student_files({"TODO-5-2": planted_copy(known_rnn)}))
    # HTML and script in names and code, a file that does not parse, a huge file
    collator = independent_bodies(2)["TODO-1.2-1"]
    hostile = student_files({"TODO-1.2-1": INJECTED + "\n" + collator})
    rnn = submitted_reference((REPO / "ner_helpers" / "rnn.py").read_text(encoding="utf-8"))
    hostile["rnn.py"] = rnn.replace("self.V = nn.Linear(hidden_dim, output_dim)",
                                    "self.V = nn.Linear(hidden_dim, output_dim", 1)
    hostile["tokenizer.py"] = "x = 1\n" * 60_000  # 360 KB, over max_file_kb
    write_submission(folder / "hostile.zip", "hostile<script>", HOSTILE_NAME, hostile)
    # zips the grader's unpacking rejects: one leaves its folder, one is a zip bomb
    with zipfile.ZipFile(folder / "slip.zip", "w") as archive:
        archive.writestr("../../escape/ner_helpers/rnn.py", "x = 1\n")
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("identity.json", json.dumps({"student_id": "bomb"}))
        archive.writestr("ner_helpers/rnn.py", "#" * (8 << 20))
    # known solutions: a public repository in the original course's layout
    known = root / "known" / "public-repo" / "ner" / "nn" / "models"
    known.mkdir(parents=True)
    (known / "rnn.py").write_text(submitted_reference(
        (REPO / "ner_helpers" / "rnn.py").read_text(encoding="utf-8")), encoding="utf-8")
    out = root / "out"
    assert run_similarity(str(folder), "--known", str(root / "known"), "--out", str(out)) == 0
    return {"root": root, "folder": folder, "known": root / "known", "out": out}


def read_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "similarity.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def who(label: str) -> str:
    """A student's ID from the report's label (``s0 (Student 0)``); known ones whole."""
    return label if label.startswith("known") else label.split(" ")[0]


def score(rows: list[dict[str, str]], first: str, second: str, column: str) -> float | None:
    for row in rows:
        if {who(row["first"]), who(row["second"])} == {first, second}:
            return float(row[column]) if row[column] else None
    raise AssertionError(f"no pair {first} / {second}")


# ---------------------------------------------------------------------------- regions
def test_regions_are_the_solution_code_and_the_release_has_none() -> None:
    reference = independent_solutions()
    for file, specs in specs_by_file(todo_specs()).items():
        source = (REPO / "ner_helpers" / file).read_text(encoding="utf-8")
        found = extract_regions(submitted_reference(source), specs)
        assert found.problems == []
        for spec in specs:
            expected = reference[spec.todo]["reference"]
            assert found.regions[spec.todo].code.strip() == expected.strip(), spec.todo
        released = extract_regions(strip_solutions(source), specs)
        assert all(region.code == "" for region in released.regions.values()), file


def test_provided_lines_around_the_region_never_count() -> None:
    specs = specs_by_file(todo_specs())["trainer.py"]
    assert [spec.suffix for spec in specs] == [("return record.summary()",)] * 2
    source = submitted_reference((REPO / "ner_helpers" / "trainer.py").read_text())
    # a student who deleted the hint: the provided `record = EpochRecord()` is cut too
    no_hint = "\n".join(line for line in source.splitlines() if "TODO-3-1 hint" not in line)
    region = extract_regions(no_hint, specs).regions["TODO-3-1"]
    assert "EpochRecord()" not in region.code and "record.summary()" not in region.code
    code = [line for line in region.code.splitlines() if not line.startswith("#")]
    assert code[0] == "self.model.train()"


def test_a_file_that_is_not_python_is_read_from_its_hints() -> None:
    specs = specs_by_file(todo_specs())["rnn.py"]
    source = submitted_reference((REPO / "ner_helpers" / "rnn.py").read_text())
    broken = source.replace("self.V = nn.Linear(hidden_dim, output_dim)",
                            "self.V = nn.Linear(hidden_dim, output_dim", 1)
    found = extract_regions(broken, specs)
    assert found.problems and "not valid Python" in found.problems[0]
    assert "nn.ModuleList" in found.regions["TODO-5-1"].code
    assert "self.num_layers" in found.regions["TODO-5-2"].code


# ---------------------------------------------------------------------------- the class
def test_only_each_students_latest_final_submission_counts(classroom) -> None:
    rows = read_rows(classroom["out"])
    names = {row["first"] for row in rows} | {row["second"] for row in rows}
    students = {who(name) for name in names if not name.startswith("known")}
    assert students == {f"s{i}" for i in range(STUDENTS)} | {"copier", "copier2", "borrower",
                                                               "hostile<script>"}
    page = (classroom["out"] / "similarity.html").read_text(encoding="utf-8")
    assert "s0_final-001.zip (s0)" in page and "an older submission" in page
    assert "s1_milestone-001.zip" in page and "a milestone submission" in page
    # s0's latest final holds the reference: it shares nearly all of the known RNN
    assert score(rows, "s0", "known: public-repo", "TODO-5-2") > 0.9


def test_planted_copies_rank_above_every_pair_of_independent_solutions(classroom) -> None:
    rows = read_rows(classroom["out"])
    independent = [f"s{i}" for i in range(STUDENTS)]
    for index, (copier, _) in COPIERS.items():
        checked = []
        for todo in sorted(independent_bodies(index)):
            planted = score(rows, f"s{index}", copier, todo)
            pairs = [score(rows, a, b, todo) for a, b in combinations(independent, 2)]
            pairs = [value for value in pairs if value is not None]
            if planted is None:  # too short to score, for every pair alike
                assert pairs == [], todo
                continue
            if todo in NOT_SEPARABLE:
                continue
            assert pairs, todo
            assert planted > max(pairs), (copier, todo, planted, max(pairs))
            checked.append(todo)
        assert checked == {
            "copier": ["TODO-1.1-1", "TODO-1.2-1", "TODO-3-2", "TODO-4-1", "TODO-4-2",
                       "TODO-5-1", "TODO-5-2"],
            "copier2": ["TODO-1.1-1", "TODO-1.2-1", "TODO-3-2", "TODO-4-2", "TODO-5-2"],
        }[copier]
    # the known solution's RNN forward, disguised, ranks above every independent pair too
    borrowed = score(rows, "borrower", "known: public-repo", "TODO-5-2")
    assert borrowed > max(v for a, b in combinations(independent, 2)
                          if (v := score(rows, a, b, "TODO-5-2")) is not None)
    # overall: the copy is flagged, no pair of independent students is
    threshold = load_similarity(default_settings_path()).threshold
    overall = {frozenset((who(row["first"]), who(row["second"]))):
               (float(row["overall"]), row["flagged"]) for row in rows}
    copies = [overall[frozenset((f"s{index}", copier))] for index, (copier, _) in
              COPIERS.items()]
    assert all(value >= threshold and flag == "yes" for value, flag in copies)
    for a, b in combinations(independent, 2):
        assert overall[frozenset((a, b))][1] == "no", (a, b)
        assert overall[frozenset((a, b))][0] < min(value for value, _ in copies)
    # s0 holds the reference, which is the known solution: identical, ranked first (with
    # the hostile student, whose RNN is the reference too)
    top = [row for row in rows if row["overall"] == "1.0000"]
    assert {who(row["first"]) for row in top} == {"s0", "hostile<script>"}
    assert {who(row["second"]) for row in top} == {"known: public-repo"}
    assert all(row["flagged"] == "yes" for row in top) and rows[:len(top)] == top
    between_students = [row for row in rows if row["second_is_known"] == "no"
                        and "hostile<script>" not in (who(row["first"]), who(row["second"]))]
    # the three copies between students (two planted, and s0's RNN forward, which is the
    # known solution the borrower disguised) rank above every other pair of students
    top_three = [{who(row["first"]), who(row["second"])} for row in between_students[:3]]
    assert sorted(map(sorted, top_three)) == [["borrower", "s0"], ["copier", "s1"],
                                              ["copier2", "s2"]]


def test_hostile_submissions_are_reported_and_escaped(classroom) -> None:
    page = (classroom["out"] / "similarity.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the name
    assert "&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page  # the code, shown
    assert "bomb.zip" in page and "expands more than" in page
    # highlights cover whole tokens: a renamed name is marked from its first letter
    assert "<mark>self.model.train()</mark>" in page and "<mark>my_running_v = 0.0</mark>" in page
    assert "rnn.py: not valid Python" in page
    assert "tokenizer.py" in page and "larger than 262,144" in page
    assert "slip.zip" in page and "points outside the submission" in page
    rows = read_rows(classroom["out"])
    hostile = [row for row in rows if row["first"].startswith("'=HYPERLINK")
               or row["second"].startswith("'=HYPERLINK")]
    assert rows and not any(row["first"].startswith("=") or row["second"].startswith("=")
                            for row in rows)
    assert hostile == []  # the hostile student is named by ID first, then the name
    raw = (classroom["out"] / "similarity.csv").read_text(encoding="utf-8")
    assert "hostile<script> (=HYPERLINK" in raw


def test_the_report_is_deterministic_and_keeps_the_earlier_one(classroom, tmp_path) -> None:
    out = tmp_path / "again"
    for _ in range(2):
        assert run_similarity(str(classroom["folder"]), "--known", str(classroom["known"]),
                              "--out", str(out)) == 0
    assert (out / "similarity.html").read_bytes() == \
        (classroom["out"] / "similarity.html").read_bytes()
    assert (out / "similarity.csv").read_bytes() == \
        (classroom["out"] / "similarity.csv").read_bytes()
    assert (out / "similarity.prev-1.html").read_bytes() == (out / "similarity.html").read_bytes()


def test_students_can_be_shown_by_the_leaderboards_anonymous_ids(classroom, tmp_path) -> None:
    from autograder.grader.leaderboard import anonymous_id

    out = tmp_path / "anonymous"
    assert run_similarity(str(classroom["folder"]), "--naming", "leaderboard",
                          "--out", str(out)) == 0
    page = (out / "similarity.html").read_text(encoding="utf-8")
    text = page + (out / "similarity.csv").read_text(encoding="utf-8")
    leaderboard = load_settings().results.leaderboard
    for index in range(STUDENTS):
        assert anonymous_id(f"s{index}", leaderboard) in text
        assert f"Student {index}" not in text and f"s{index}_" not in text
        assert f"s{index} " not in text and f">s{index}<" not in text
    assert "Copy Cat" not in text and anonymous_id("copier", leaderboard) in text
    assert "copier" not in text.replace(anonymous_id("copier", leaderboard), "")


def test_an_nbgrader_course_folder_is_read_too(tmp_path) -> None:
    course = tmp_path / "course"
    for student, index in (("alice", 0), ("bob", 2)):
        package = course / "submitted" / student / "ner_homework" / "ner_helpers"
        package.mkdir(parents=True)
        for file, text in student_files(independent_bodies(index)).items():
            (package / file).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert run_similarity(str(course), "--out", str(out)) == 0
    rows = read_rows(out)
    assert [(row["first"], row["second"]) for row in rows] == [("alice", "bob")]
    assert float(rows[0]["overall"]) < load_similarity(default_settings_path()).threshold


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    assert run_similarity(str(tmp_path / "missing")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_similarity(str(empty)) == 2
    assert "no final submissions found" in capsys.readouterr().err


def test_help_says_it_is_evidence_not_a_verdict(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["similarity", "--help"])
    assert stop.value.code == 0
    assert "evidence to look at, not a verdict" in " ".join(capsys.readouterr().out.split())


# ---------------------------------------------------------------------------- calibration
def test_the_threshold_and_the_docs_follow_the_independent_solutions() -> None:
    settings = load_similarity(default_settings_path())
    docs = (REPO / "docs" / "grading.md").read_text(encoding="utf-8")
    assert calibration_table(settings.k, settings.window, settings.min_region_chars) in docs
    scores = independent_scores(settings.k, settings.window, settings.min_region_chars)
    counted = [max(values) for todo, values in scores.items()
               if values and todo not in settings.weak_todos]
    assert max(counted) < settings.threshold
    # the threshold is that highest overlap rounded up to the next multiple of 5%
    assert settings.threshold == pytest.approx(math.ceil(max(counted) * 20) / 20)
    pairs, copies = independent_overall(settings.k, settings.window, settings.min_region_chars,
                                        settings.weak_todos)
    assert max(pairs) < settings.threshold <= min(copies)
    assert (f"overlap overall by 0% to {max(pairs):.0%} " in " ".join(docs.split())
            and f"by {min(copies):.0%} to {max(copies):.0%} overall" in " ".join(docs.split()))


@pytest.mark.browser
def test_the_page_opens_in_chromium_offline_without_running_student_text(classroom,
                                                                          tmp_path) -> None:
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("no /usr/bin/chromium: install it with `apt-get install -y chromium`")
    from playwright.sync_api import expect
    from test_browser import offline_page

    page_path = classroom["out"] / "similarity.html"
    requested: list[str] = []
    dialogs: list[str] = []
    with offline_page(requested) as page:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(page_path.as_uri())
        expect(page.locator("h1")).to_have_text("Code similarity: class")
        expect(page.locator(".caution")).to_contain_text("not a verdict")
        expect(page.locator("tr.flagged", has_text="Copy Cat")).to_have_count(1)
        expect(page.locator("tr.flagged", has_text="Student 3")).to_have_count(0)
        expect(page.locator("#pair-1 ~ .side pre mark").first).to_be_visible()
        assert page.locator("img").count() == 0 and page.locator("script").count() == 0
        page.screenshot(path=str(tmp_path / "similarity.png"), full_page=True)
    assert requested == [] and dialogs == []
    assert (tmp_path / "similarity.png").stat().st_size > 20_000


def test_reading_never_imports_student_code(tmp_path) -> None:
    marker = tmp_path / "imported"
    files = student_files(independent_bodies(0))
    files["rnn.py"] = (f"open({str(marker)!r}, 'w').write('ran')\n" + files["rnn.py"])
    folder = tmp_path / "class"
    folder.mkdir()
    write_submission(folder / "a.zip", "a", "A", files)
    write_submission(folder / "b.zip", "b", "B", student_files(independent_bodies(1)))
    assert run_similarity(str(folder), "--out", str(tmp_path / "out")) == 0
    assert not marker.exists()


def test_a_bad_similarity_setting_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    text = default_settings_path().read_text(encoding="utf-8")
    bad = tmp_path / "grading.yaml"
    bad.write_text(text.replace("  threshold: 0.8 ", "  threshold: 1.5 ", 1), encoding="utf-8")
    folder = tmp_path / "class"
    folder.mkdir()
    write_submission(folder / "a.zip", "a", "A", student_files(independent_bodies(0)))
    assert run_similarity(str(folder), "--grading-config", str(bad)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {bad}: similarity.threshold: must be a number in (0, 1], got 1.5"]


def test_two_processes_give_the_same_bytes_as_one(classroom, tmp_path, monkeypatch) -> None:
    from autograder.similarity import analysis, compare

    monkeypatch.setattr(analysis, "POOL_MIN_AUTHORS", 2)
    monkeypatch.setattr(compare, "POOL_MIN_STUDENTS", 2)
    out = tmp_path / "parallel"
    assert run_similarity(str(classroom["folder"]), "--known", str(classroom["known"]),
                          "--out", str(out), "--workers", "2") == 0
    for name in ("similarity.html", "similarity.csv"):
        assert (out / name).read_bytes() == (classroom["out"] / name).read_bytes()
