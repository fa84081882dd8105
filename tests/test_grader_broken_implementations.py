"""Every hidden test catches the bug it targets, and only that bug costs points.

``tests/broken_implementations/`` holds one YAML file per deliberately broken
implementation: a bug a student could really write, made by replacing a
snippet of one TODO's reference solution (the snippet must be found exactly
once, inside that TODO's solution region, so the catalogue breaks loudly when
the reference changes). Each file names the student file and TODO, the bug,
the change, and exactly the hidden tests that must fail (``lost``). The grading
tests below build one submission per file and grade all of them in one batch
with two workers (TODOs 1.1 to 3 as milestone submissions, TODOs 4 and 5 with
the hidden tests of the final kind and no performance points), then check that

- exactly the listed tests fail, so the entry loses exactly their points;
- every other TODO keeps full points (an entry loses points at its own TODO
  only: forward TODOs are judged on the grader's own layers, the collator on a
  known-good tokenizer, the trainer on a known-good model and collator);
- every failing test's message is helpful (it contains the entry's
  ``messages`` fragments) and shows no reference solution, hidden test source
  or traceback.

Every entry must pass: a bug the grader does not catch as listed is a failing
test, not an expected failure. ``tests/correct_alternatives/`` uses the same
format for correct implementations that must keep full marks
(tests/test_grader_alternatives.py).

The batch of about 55 submissions takes about 2.5 minutes on two cores (2 to 3 s each,
most of it starting the sandboxed child), hence the slow mark on the grading
tests; the catalogue checks are fast.

To grade only some entries (the catalogue checks still read them all), name them
with ``CATALOGUE_FILTER``, a comma-separated list of fragments of entry names; it
applies to tests/test_grader_alternatives.py too::

    CATALOGUE_FILTER=trainer .venv/bin/python -m pytest -n 2 \
        tests/test_grader_broken_implementations.py tests/test_grader_alternatives.py

Print the two tables of docs/grading.md ("How the grader is tested against bugs")::

    .venv/bin/python tests/test_grader_broken_implementations.py

and the table of what the public checks catch with
tests/test_public_checks_on_catalogue.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "tests") not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO / "tests"))

from test_grader_fixtures import (  # noqa: E402
    MILESTONE_FILES,
    hidden_labels,
    reference_submission,
    trained_project,
    variant_submission,
)

from autograder.grader import grade_batch  # noqa: E402
from autograder.grader.hidden_test_runner import INTERNAL_MESSAGE, hidden_tests_dir  # noqa: E402
from autograder.grader.settings import GradingSettings, load_settings  # noqa: E402
from autograder.release.markers import find_regions, solution_lines  # noqa: E402

BROKEN_DIR = REPO / "tests" / "broken_implementations"
ALTERNATIVES_DIR = REPO / "tests" / "correct_alternatives"
DOCS = REPO / "docs" / "grading.md"
DOCS_SECTION = "How the grader is tested against bugs"
STUDENT_FILES = ("tokenizer.py", "collator.py", "embedding.py", "trainer.py", "ffnn.py",
                 "rnn.py", "cnn.py", "vectors.py", "encoder.py")
#: ``derived_from_reference``: an alternative that is the reference rearranged (another
#: order of the same statements), graded like the others but not independent work, so
#: the similarity calibration (tests/similarity_corpus.py) leaves it out.
KEYS = {"file", "todo", "todos", "bug", "alternative", "change", "solutions", "lost",
        "messages", "note", "why", "derived_from_reference"}
#: A single-cause entry may fail at most this many tests of its TODO without a ``why``.
MOST_TESTS_WITHOUT_WHY = 2
#: Reference code lines shorter than this are too generic to count as a leak.
MIN_LEAK_CHARS = 16


# ---------------------------------------------------------------------------- the catalogue
@dataclass(frozen=True)
class Variant:
    """One catalogue entry: the reference package with one file changed."""

    name: str
    path: Path
    file: str
    todos: tuple[str, ...]
    description: str
    change: tuple[tuple[str, str], ...]
    solutions: dict[str, str]
    lost: dict[str, tuple[str, ...]]
    messages: dict[str, str]
    #: Why the one bug fails more than two tests of its TODO (empty: it fails at most two).
    why: str = ""

    @property
    def kind(self) -> str:
        """Milestone for the milestone files, else the final kind (hidden tests only)."""
        return "milestone" if self.file in MILESTONE_FILES else "final"


def load_variants(folder: Path) -> list[Variant]:
    """Every ``*.yaml`` entry of ``folder``, checked for its keys, sorted by name."""
    variants = []
    for path in sorted(folder.glob("*.yaml")):
        where = f"{path.parent.name}/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise AssertionError(f"{where}: not valid YAML ({exc})") from None
        if not isinstance(data, dict):
            raise AssertionError(f"{where}: not a YAML mapping")
        unknown = set(data) - KEYS
        if unknown:
            raise AssertionError(f"{where}: unknown keys {sorted(unknown)}")
        todos = tuple(data["todos"]) if "todos" in data else (data["todo"],)
        change = tuple((item["old"], item["new"]) for item in data.get("change") or [])
        variants.append(Variant(
            name=path.stem, path=path, file=data["file"], todos=todos,
            description=" ".join(str(data.get("bug") or data.get("alternative") or "").split()),
            change=change, solutions=dict(data.get("solutions") or {}),
            lost={todo: tuple(tests) for todo, tests in (data.get("lost") or {}).items()},
            messages=dict(data.get("messages") or {}),
            why=" ".join(str(data.get("why") or "").split())))
    return variants


def selected(variants: list[Variant]) -> list[Variant]:
    """The variants whose name contains a fragment of ``CATALOGUE_FILTER`` (all without)."""
    fragments = [f.strip() for f in os.environ.get("CATALOGUE_FILTER", "").split(",")
                 if f.strip()]
    return [v for v in variants if not fragments or any(f in v.name for f in fragments)]


def reference_text(file: str) -> str:
    return (REPO / "ner_helpers" / file).read_text(encoding="utf-8")


def _region_spans(text: str, file: str) -> dict[str, tuple[int, int]]:
    """``{todo: (first, last)}`` 0-based line numbers of each solution region's body."""
    return {region.todo: (region.begin_line + 1, region.end_line - 1)
            for region in find_regions(text, file)}


def _replace_lines(lines: list[str], old: str, new: str, spans: list[tuple[int, int]],
                   what: str) -> list[str]:
    """Replace the block ``old`` (dedented lines), found once inside the solution regions
    ``spans`` at some indentation, by ``new`` at the same indentation."""
    block = old.rstrip("\n").split("\n")
    matches = []
    for start in range(len(lines) - len(block) + 1):
        first = lines[start]
        if not first.endswith(block[0]) or first[:len(first) - len(block[0])].strip():
            continue
        indent = first[:len(first) - len(block[0])]
        if all(lines[start + i] == (indent + line if line else "") or
               (not line and not lines[start + i].strip()) for i, line in enumerate(block)):
            matches.append((start, indent))
    inside = [(start, indent) for start, indent in matches
              if any(first <= start and start + len(block) - 1 <= last
                     for first, last in spans)]
    if len(inside) != 1:
        raise AssertionError(f"{what}: the snippet occurs {len(inside)} times in the solution "
                             f"region ({len(matches)} in the file), expected once:\n{old}")
    start, indent = inside[0]
    replacement = [indent + line if line.strip() else "" for line in
                   new.rstrip("\n").split("\n")] if new.strip() else []
    return lines[:start] + replacement + lines[start + len(block):]


def _replace_in_line(lines: list[str], old: str, new: str, spans: list[tuple[int, int]],
                     what: str) -> list[str]:
    """Replace ``old``, part of one line of the solution regions ``spans``, by ``new``;
    further lines of ``new`` get that line's indentation."""
    found = [number for first, last in spans for number in range(first, last + 1)
             if old in lines[number]]
    if len(found) != 1 or lines[found[0]].count(old) != 1:
        raise AssertionError(f"{what}: {old!r} occurs {len(found)} times in the solution "
                             "region, expected once")
    number = found[0]
    indent = re.match(r"\s*", lines[number]).group(0)
    first, *rest = new.rstrip("\n").split("\n")
    replaced = lines[number].replace(old, first)
    extra = [indent + line if line.strip() else "" for line in rest]
    return lines[:number] + ([replaced] if replaced.strip() else []) + extra + lines[number + 1:]


def apply_variant(variant: Variant) -> str:
    """The reference file with the variant's changes (fails loudly when a snippet is gone)."""
    what = f"{variant.path.parent.name}/{variant.path.name}"
    text = reference_text(variant.file)
    spans = _region_spans(text, variant.file)
    for todo in variant.todos:
        if todo not in spans:
            raise AssertionError(f"{what}: {variant.file} has no solution region of {todo}")
    for todo, body in variant.solutions.items():
        if todo not in variant.todos:
            raise AssertionError(f"{what}: a solution for {todo}, which the entry does not name")
        lines = text.split("\n")
        first, last = _region_spans(text, variant.file)[todo]
        indent = re.match(r"\s*", lines[first - 1]).group(0)
        body_lines = [indent + line if line.strip() else ""
                      for line in textwrap.dedent(body).rstrip("\n").split("\n")]
        text = "\n".join(lines[:first] + body_lines + lines[last + 1:])
    for old, new in variant.change:
        spans = [span for todo, span in _region_spans(text, variant.file).items()
                 if todo in variant.todos]
        lines = text.split("\n")
        if "\n" in old.rstrip("\n"):
            lines = _replace_lines(lines, old, new, spans, str(what))
        else:
            lines = _replace_in_line(lines, old.rstrip("\n"), new, spans, str(what))
        text = "\n".join(lines)
    return text


def without_models(settings: GradingSettings) -> GradingSettings:
    """The settings with the final kind graded on its hidden tests only (no models), and on
    the TODOs of every optional section too, as when all of them are on."""
    final = settings.kinds["final"]
    optional = tuple(todo for todo in settings.todos
                     if todo not in final.todos and todo not in settings.kinds["milestone"].todos)
    final = dataclasses.replace(final, models=(), todos=final.todos + optional)
    return dataclasses.replace(settings, kinds={**settings.kinds, "final": final})


def points_lost(variant: Variant, settings: GradingSettings) -> float:
    """The points of the ``lost`` tests."""
    return sum(settings.todos[todo].tests.get(test, 0) for todo, tests in variant.lost.items()
               for test in tests)


def _in_grading_order(variants: list[Variant], settings: GradingSettings) -> list[Variant]:
    order = list(settings.todos)
    return sorted(variants, key=lambda v: (order.index(v.todos[0]), v.name))


def catalogue_table(variants: list[Variant], settings: GradingSettings) -> str:
    """The Markdown table of docs/grading.md: one row per broken implementation, in
    grading order."""
    rows = ["| TODO | entry | bug | tests that catch it | tests failed | points lost "
            "| why more than two tests |",
            "|---|---|---|---|---|---|---|"]
    for variant in _in_grading_order(variants, settings):
        own = variant.todos[0]
        caught = ", ".join(variant.lost.get(own, ()))
        caught += "".join(f"; and {todo}: {', '.join(tests)}"
                          for todo, tests in variant.lost.items() if todo != own)
        count = sum(len(tests) for tests in variant.lost.values())
        lost = f"{points_lost(variant, settings):g}"
        bug = variant.description.replace("|", "\\|")
        why = variant.why.replace("|", "\\|")
        rows.append(f"| {own} | `{variant.name}` | {bug} | {caught} | {count} | {lost} "
                    f"| {why} |")
    return "\n".join(rows)


def alternatives_table(variants: list[Variant], settings: GradingSettings) -> str:
    """The Markdown table of the correct alternatives in docs/grading.md."""
    rows = ["| TODOs | entry | what it does differently |", "|---|---|---|"]
    for variant in _in_grading_order(variants, settings):
        text = variant.description.replace("|", "\\|")
        rows.append(f"| {', '.join(variant.todos)} | `{variant.name}` | {text} |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------- grading
@dataclass(frozen=True)
class Graded:
    """What the grader made of one variant: the batch row, the failed tests with their
    messages, and the points per TODO."""

    status: str
    failed: dict[tuple[str, str], str]
    todo_points: dict[str, tuple[float, float]]


def grade_variants(variants: list[Variant], root: Path, settings: GradingSettings,
                   text_of: Callable[[Variant], str] = apply_variant) -> dict[str, Graded]:
    """Grade every variant as a submission, all in one batch with two workers
    (``text_of`` gives the student file of a variant)."""
    project = trained_project(root / "project-root")
    bases = {kind: reference_submission(project, kind, root / f"base-{kind}")
             for kind in ("milestone", "final")}
    folder = root / "submissions"
    folder.mkdir()
    for variant in variants:
        variant_submission(bases[variant.kind], folder / f"{variant.name}.zip",
                           {f"ner_helpers/{variant.file}": text_of(variant)})
    out = root / "graded"
    report = grade_batch(folder, out, workers=2, kind="auto", settings=settings,
                         hidden_labels=hidden_labels(project), progress=False)
    rows = {row["submission"]: row for row in report.rows}
    graded = {}
    for variant in variants:
        row = rows[variant.name]
        failed: dict[tuple[str, str], str] = {}
        totals: dict[str, tuple[float, float]] = {}
        results_file = out / variant.name / "results.json"
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
        for test in results.get("tests", []):
            todo = test["tags"][0]
            if not todo.startswith("TODO-"):
                continue
            name = test["name"].split(": ", 1)[1].replace(" ", "_")
            points, maximum = totals.get(todo, (0.0, 0.0))
            totals[todo] = (points + test["score"], maximum + test["max_score"])
            if test["status"] != "passed":
                failed[(todo, name)] = test["output"]
        graded[variant.name] = Graded(str(row["status"]), failed, totals)
    return graded


def graded_once(name: str, variants: list[Variant], settings: GradingSettings,
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    """:func:`grade_variants` once per test run, also when pytest-xdist gives the tests
    that need the results to several workers: the first worker grades while holding a
    file lock and leaves the results in the run's shared temporary folder; the others
    wait for the lock and read them."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return grade_variants(variants, tmp_path_factory.mktemp(name), settings)
    shared = tmp_path_factory.getbasetemp().parent / f"{name}-graded.json"
    with FileLock(f"{shared}.lock"):
        if shared.exists():
            return {variant: Graded(item["status"],
                                    {(todo, test): message
                                     for todo, test, message in item["failed"]},
                                    {todo: tuple(points)
                                     for todo, points in item["todo_points"].items()})
                    for variant, item in json.loads(shared.read_text()).items()}
        graded = grade_variants(variants, tmp_path_factory.mktemp(name), settings)
        shared.write_text(json.dumps({
            variant: {"status": item.status,
                      "failed": [[todo, test, message]
                                 for (todo, test), message in item.failed.items()],
                      "todo_points": item.todo_points}
            for variant, item in graded.items()}))
        return graded


def leaked_lines(message: str) -> list[str]:
    """Reference solution lines and hidden test source lines found in ``message``."""
    sources = [solution_lines(reference_text(file), file) for file in STUDENT_FILES]
    found = [line for lines in sources for line in lines
             if len(line) >= MIN_LEAK_CHARS and line in message]
    for path in sorted(hidden_tests_dir().glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 40 and not line.startswith(("#", '"', "f\"", "'")) and \
                    '"' not in line and "'" not in line and line in message:
                found.append(line)
    return found


def check_variant(variant: Variant, result: Graded) -> None:
    """Exactly the ``lost`` tests fail, all other TODOs keep full points, and the
    failure messages are helpful and leak nothing."""
    assert result.status == "graded", f"{variant.name}: {result.status}"
    expected = {(todo, test) for todo, tests in variant.lost.items() for test in tests}
    failed = set(result.failed)
    assert failed == expected, (
        f"{variant.name}: failed tests differ from the catalogue\n"
        f"  not caught: {sorted(expected - failed)}\n"
        f"  also failed: {sorted(failed - expected)}\n"
        + "".join(f"  {key}: {message}\n" for key, message in sorted(result.failed.items())))
    for todo, (points, maximum) in result.todo_points.items():
        if todo not in variant.lost:
            assert points == maximum, f"{variant.name} costs {todo} points"
    for (todo, test), message in result.failed.items():
        assert message.strip() and message != INTERNAL_MESSAGE, (todo, test, message)
        assert "Traceback" not in message and "def test_" not in message, message
        assert not leaked_lines(message), (todo, test, leaked_lines(message))
    for test, fragment in variant.messages.items():
        messages = [m for (todo, name), m in result.failed.items() if name == test]
        assert messages, f"{variant.name}: no failed test named {test}"
        assert any(fragment in m for m in messages), (
            f"{variant.name}: the message of {test} lacks {fragment!r}: {messages}")


# ---------------------------------------------------------------------------- fast checks
BROKEN = load_variants(BROKEN_DIR)
SETTINGS = without_models(load_settings())


def test_the_catalogue_covers_every_todo() -> None:
    counts = {todo: 0 for todo in SETTINGS.kinds["final"].todos}
    for variant in BROKEN:
        counts[variant.todos[0]] += 1
    assert len(BROKEN) >= 25
    assert all(count >= 2 for count in counts.values()), counts
    for todo in ("TODO-1.1-1", "TODO-1.2-1", "TODO-3-1", "TODO-5-2"):
        assert counts[todo] >= 4, (todo, counts[todo])


def test_every_hidden_test_catches_a_bug_of_its_own_todo() -> None:
    """Each hidden test of grading.yaml is among the ``lost`` tests of some entry of its
    TODO, so no test goes unexercised."""
    caught = {(variant.todos[0], test) for variant in BROKEN
              for test in variant.lost.get(variant.todos[0], ())}
    tests = {(todo, test) for todo, entry in SETTINGS.todos.items() for test in entry.tests}
    assert sorted(tests - caught) == []


@pytest.mark.parametrize("variant", BROKEN, ids=lambda v: v.name)
def test_many_failed_tests_are_explained(variant: Variant) -> None:
    """One bug, few tests: an entry that fails more than two tests of its TODO says why in
    ``why`` (shown in docs/grading.md's table); one that fails at most two has no ``why``."""
    count = len(variant.lost.get(variant.todos[0], ()))
    if count > MOST_TESTS_WITHOUT_WHY:
        assert variant.why, (f"{variant.name} fails {count} tests of {variant.todos[0]}; "
                             "say why in `why:` or make the tests judge one property each")
    else:
        assert not variant.why, f"{variant.name} fails {count} tests; drop its `why`"


@pytest.mark.parametrize("variant", BROKEN, ids=lambda v: v.name)
def test_entry_is_well_formed(variant: Variant) -> None:
    """The entry names real tests of its own TODO only; its change applies to the current
    reference and compiles."""
    assert len(variant.todos) == 1 and variant.description, variant.name
    assert variant.change or variant.solutions, f"{variant.name}: no change"
    assert variant.lost, f"{variant.name}: no hidden test would catch it"
    text = apply_variant(variant)
    assert text != reference_text(variant.file)
    compile(text, variant.file, "exec")
    own = variant.todos[0]
    assert set(variant.lost) == {own}, f"{variant.name}: only {own} may lose points"
    for todo, tests in variant.lost.items():
        assert todo in SETTINGS.todos and tests, (variant.name, todo)
        unknown = set(tests) - set(SETTINGS.todos[todo].tests)
        assert not unknown, f"{variant.name}: {todo} has no tests {sorted(unknown)}"
    all_lost = {test for tests in variant.lost.values() for test in tests}
    assert set(variant.messages) <= all_lost, variant.name
    assert variant.messages, f"{variant.name}: name a message fragment the student sees"


def test_a_stale_or_misplaced_snippet_is_refused() -> None:
    entry = next(v for v in BROKEN if v.name == "tokenizer-unknown-to-pad")
    stale = dataclasses.replace(entry, change=(("ids = [self.vocab[t] for t in tokens]", ""),))
    with pytest.raises(AssertionError, match="occurs 0 times"):
        apply_variant(stale)
    outside = dataclasses.replace(entry, change=(("self.lowercase = lowercase", ""),))
    with pytest.raises(AssertionError, match="occurs 0 times"):
        apply_variant(outside)
    block = dataclasses.replace(entry, change=(("def vocab_size(self) -> int:\n"
                                                "    return len(self.token2id)\n", ""),))
    with pytest.raises(AssertionError, match=r"0 times in the solution region \(1 in the file"):
        apply_variant(block)


def docs_section() -> str:
    """The text of docs/grading.md from the heading of :data:`DOCS_SECTION` on."""
    text = DOCS.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines()
                if line.startswith("## ") and line.endswith(DOCS_SECTION)]
    assert len(headings) == 1, f"docs/grading.md needs one section {DOCS_SECTION!r}"
    return text.split(headings[0], 1)[1]


def test_docs_list_the_catalogue() -> None:
    assert catalogue_table(BROKEN, SETTINGS) in docs_section(), (
        "docs/grading.md is out of date; print the tables with "
        "`.venv/bin/python tests/test_grader_broken_implementations.py`")


# ---------------------------------------------------------------------------- grading
@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    return graded_once("broken", selected(BROKEN), SETTINGS, tmp_path_factory)


@pytest.mark.slow
@pytest.mark.xdist_group("grader_broken_implementations")
@pytest.mark.parametrize("variant", selected(BROKEN), ids=lambda v: v.name)
def test_broken_implementation_loses_exactly_its_points(variant: Variant,
                                                        graded: dict[str, Graded]) -> None:
    check_variant(variant, graded[variant.name])


if __name__ == "__main__":
    print(catalogue_table(BROKEN, SETTINGS))
    print()
    print(alternatives_table(load_variants(ALTERNATIVES_DIR), SETTINGS))
