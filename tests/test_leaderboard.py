"""The leaderboard: Gradescope's entries in results.json, the class leaderboard's
ranking, pseudonyms and escaping, its settings, and the leaderboard name a student
stores with ``ner-kit submit --leaderboard-name`` (fast: no grading, no training).

The graded batch with the leaderboard on is in tests/test_class_report.py.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import zipfile
from pathlib import Path

import pytest
from test_grader_fixtures import inside

from autograder.grader.class_settings import LeaderboardSettings
from autograder.grader.engine import read_identity
from autograder.grader.leaderboard import (
    anonymous_id,
    results_entries,
    standings,
    write_leaderboard,
)
from autograder.grader.result import GradingResult, PerformanceResult
from autograder.grader.results_json import results_json
from autograder.grader.settings import default_settings_path, load_settings
from autograder.grader.unpack import UnpackedSubmission
from ner_helpers.cli.main import main as kit_main
from ner_helpers.errors import KitError
from ner_helpers.submission import Identity, load_identity, save_identity

SETTINGS = load_settings()
ON = dataclasses.replace(SETTINGS.results.leaderboard, enabled=True)


def final_result(ffnn: float | None, rnn: float | None, rejected: str | None = None
                 ) -> GradingResult:
    result = GradingResult("ada", "final", {"student_id": "s1", "name": "Ada"},
                           rejected=rejected)
    for model, f1 in (("ffnn", ffnn), ("rnn", rnn)):
        entry = SETTINGS.models[model]
        result.performance.append(PerformanceResult(model, entry.title, f1, entry.baseline,
                                                    0.0, entry.points, ""))
    return result


def row(submission: str, ffnn: float | str, rnn: float | str, **extra: str) -> dict:
    return {"submission": submission, "student_id": f"id-{submission}", "status": "graded",
            "kind": "final", "ffnn_points": 1, "ffnn_f1": ffnn, "rnn_points": 1,
            "rnn_f1": rnn, **extra}


# ---------------------------------------------------------------------------- results.json
def test_the_leaderboard_is_off_by_default() -> None:
    assert SETTINGS.results.leaderboard.enabled is False
    data = results_json(final_result(0.5, 0.7), SETTINGS.results)
    assert "leaderboard" not in data


def test_results_json_carries_gradescopes_leaderboard_entries_when_on() -> None:
    results = dataclasses.replace(SETTINGS.results, leaderboard=ON)
    data = results_json(final_result(0.512345, None), results)
    assert data["leaderboard"] == [{"name": "RNN F1", "value": 0.0, "order": "desc"},
                                   {"name": "FFNN F1", "value": 0.5123, "order": "desc"}]
    asc = dataclasses.replace(ON, entries=(dataclasses.replace(ON.entries[0], order="asc"),))
    assert results_entries(final_result(0.5, 0.25), asc) == [
        {"name": "RNN F1", "value": 0.25, "order": "asc"}]
    assert results_entries(final_result(0.5, 0.7, rejected="not a zip"), ON) == []
    milestone = GradingResult("bob", "milestone", None)
    assert "leaderboard" not in results_json(milestone, results)


# ---------------------------------------------------------------------------- ranking
def test_ranking_ties_missing_scores_and_names_are_deterministic() -> None:
    rows = [row("d", 0.3, 0.9), row("c", 0.5, 0.8), row("b", 0.4, 0.8),
            row("a", 0.4, 0.8, leaderboard_name="Zed"), row("e", "", 0.95),
            row("f", 0.9, ""), {"submission": "g", "status": "rejected: junk"},
            {"submission": "h", "status": "graded", "kind": "milestone", "TODO-2-1": 3}]
    ranked = standings(rows, ON)
    names = [standing.name for standing in ranked]
    anon = {key: anonymous_id(f"id-{key}", ON) for key in "bcdef"}
    assert names == [anon["e"], anon["d"], anon["c"], *sorted([anon["b"], "Zed"]), anon["f"]]
    assert [standing.rank for standing in ranked] == [1, 2, 3, 4, 4, 6]
    assert ranked[0].values == (0.95, None)
    assert standings(list(reversed(rows)), ON) == ranked


def test_anonymous_ids_are_keyed_hashes_not_student_ids() -> None:
    first = anonymous_id("s1234567", ON)
    assert first == anonymous_id("s1234567", ON)
    assert first.startswith(ON.anonymous_prefix) and "1234567" not in first
    assert len(first) == len(ON.anonymous_prefix) + ON.anonymous_chars
    assert anonymous_id("s1234568", ON) != first
    assert anonymous_id("s1234567", dataclasses.replace(ON, salt="another course")) != first


def test_duplicate_and_hostile_names_are_told_apart_escaped_and_cleaned(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>\x1b[31m\u202e\x00 x"
    rows = [row("a", 0.5, 0.6, leaderboard_name="Team Viterbi"),
            row("b", 0.5, 0.5, leaderboard_name="Team Viterbi"),
            row("c", 0.5, 0.4, leaderboard_name=hostile),
            row("d", 0.5, 0.3, leaderboard_name="=HYPERLINK(\"http://x\")"),
            row("e", 0.5, 0.2, leaderboard_name="x" * 100)]
    written = write_leaderboard(rows, tmp_path, ON, "Leaderboard <b>class</b>")
    assert [path.name for path in written] == ["leaderboard.csv", "leaderboard.html"]
    with open(tmp_path / "leaderboard.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["rank", "name", "rnn_f1", "ffnn_f1"]
    assert table[0]["name"] == f"Team Viterbi ({anonymous_id('id-a', ON)})"
    assert table[1]["name"] == f"Team Viterbi ({anonymous_id('id-b', ON)})"
    assert table[2]["name"] == "<script>alert(1)</script> x"
    assert table[3]["name"].startswith("'=HYPERLINK")
    assert len(table[4]["name"]) == ON.name_chars and table[4]["name"].endswith(" ...")
    assert [item["rnn_f1"] for item in table] == ["0.6000", "0.5000", "0.4000", "0.3000",
                                                 "0.2000"]
    assert all(key not in (tmp_path / "leaderboard.csv").read_text() for key in
               ("id-a", "id-b", "id-c"))
    page = (tmp_path / "leaderboard.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page and "\u202e" not in page and "\x00" not in page
    assert "Leaderboard &lt;b&gt;class&lt;/b&gt;" in page
    assert "src=" not in page and "http" not in page.replace("http://x", "")
    assert write_leaderboard(rows, tmp_path / "off", SETTINGS.results.leaderboard, "x") == []


def test_without_the_blocks_there_is_no_leaderboard_and_no_report(tmp_path: Path) -> None:
    text = default_settings_path().read_text()
    start = text.index("\n# An optional class leaderboard")
    end = text.index("\n# `ner-instructor bundle`")
    assert "\nleaderboard:" in text[start:end] and "\nreport:" in text[start:end]
    path = tmp_path / "grading.yaml"
    path.write_text(text[:start] + text[end:])
    settings = load_settings(path)
    assert settings.results.leaderboard == LeaderboardSettings(enabled=False)
    assert settings.report.enabled is False


# ---------------------------------------------------------------------------- identity
def test_identity_keeps_an_optional_leaderboard_name(tmp_path: Path) -> None:
    path = save_identity("s7654321", "Grace Hopper", tmp_path / "identity.json",
                         leaderboard_name="  Team Viterbi ")
    assert json.loads(path.read_text()) == {"name": "Grace Hopper", "student_id": "s7654321",
                                            "leaderboard_name": "Team Viterbi"}
    assert load_identity(path) == Identity("s7654321", "Grace Hopper", "Team Viterbi")
    plain = save_identity("s7654321", "Grace Hopper", tmp_path / "plain.json")
    assert json.loads(plain.read_text()) == {"name": "Grace Hopper", "student_id": "s7654321"}
    for bad in ("x" * 41, "two\nlines", "bell\x07"):
        with pytest.raises(KitError, match="leaderboard name"):
            save_identity("s7654321", "Grace Hopper", tmp_path / "bad.json",
                          leaderboard_name=bad)


def test_the_grader_reads_the_leaderboard_name(tmp_path: Path) -> None:
    (tmp_path / "identity.json").write_text(json.dumps(
        {"student_id": "s1", "name": "Ada", "leaderboard_name": " Team \n Viterbi "}))
    unpacked = UnpackedSubmission(tmp_path, {"identity.json": tmp_path / "identity.json"}, [])
    assert read_identity(unpacked, []) == {"student_id": "s1", "name": "Ada",
                                           "leaderboard_name": "Team Viterbi"}
    (tmp_path / "identity.json").write_text(json.dumps({"student_id": "s1", "name": "Ada"}))
    assert read_identity(unpacked, []) == {"student_id": "s1", "name": "Ada"}


def test_submit_stores_the_leaderboard_name(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("# a temporary course project\n")
    out = tmp_path / "zips"
    with inside(project):
        assert kit_main(["submit", "milestone", "--student-id", "s7654321", "--name",
                         "Grace Hopper", "--leaderboard-name", "Team Viterbi", "--out-dir",
                         str(out)]) == 0
        assert load_identity().leaderboard_name == "Team Viterbi"
        assert kit_main(["submit", "milestone", "--student-id", "s7654321", "--name",
                         "Grace Hopper", "--out-dir", str(out)]) == 0
        assert load_identity().leaderboard_name == "Team Viterbi", "kept when not given"
        assert kit_main(["submit", "milestone", "--leaderboard-name", "", "--out-dir",
                         str(out)]) == 0
        assert load_identity().leaderboard_name == ""
        code = kit_main(["submit", "milestone", "--leaderboard-name", "x" * 50, "--check"])
    captured = capsys.readouterr()
    assert code == 2 and "leaderboard name" in captured.err and "Traceback" not in captured.err
    with zipfile.ZipFile(out / "milestone-001.zip") as archive:
        assert json.loads(archive.read("identity.json"))["leaderboard_name"] == "Team Viterbi"
    with zipfile.ZipFile(out / "milestone-003.zip") as archive:
        assert "leaderboard_name" not in json.loads(archive.read("identity.json"))
