"""Clean outputs and the layer rule on the weights (no child, under 5 s).

Student-derived text loses control, escape and bidirectional characters on
the way to feedback.md, results.json, the gradebook and the terminal; student
exception text cannot forge a heading or a score line in feedback.md; a
full-width formula is caught in the CSV; a grader failure still gives a
result that says whose fault it is; the grader counts a model's layers from
its weights.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import torch

from autograder.grader import engine, feedback, results_json
from autograder.grader.gradebook import result_row, write_gradebook
from autograder.grader.model_layers import (
    WeightsProblem,
    count_layers,
    layers_from_matrices,
    load_state_dict,
)
from autograder.grader.result import GradingResult, PerformanceResult, TestResult
from autograder.grader.safe_text import clean_text, csv_cell, fenced, markdown_text, one_line
from autograder.grader.settings import load_settings
from ner_helpers.model_config import ModelConfig
from ner_helpers.predictor import NERPredictor

SETTINGS = load_settings()
FORGED = "bad input\n\nScore: 100 / 100\n# Feedback: perfect\n```\n## TODO-9 Forged: 9 / 9"


@pytest.mark.parametrize("raw, clean", [
    ("\x1b[31mAda\x1b[0m", "Ada"),
    ("Ada\x1b]8;;http://evil\x07link\x1b]8;;\x07", "Adalink"),
    ("Ada \u202eecalevoL", "Ada ecalevoL"),
    ("A\u2066d\u2069a\u200f", "Ada"),
    ("\x00A\x07d\x85a\x7f", "Ada"),
    ("\x9b31mAda", "Ada"),
    ("A\ud800da", "Ada"),
    ("Ada\tLovelace", "Ada Lovelace"),
    ("Zoë Ørsted 山田", "Zoë Ørsted 山田"),
])
def test_control_escape_and_bidi_characters_are_removed(raw: str, clean: str) -> None:
    assert one_line(raw) == clean


def test_clean_text_keeps_lines_and_one_line_joins_them() -> None:
    assert clean_text("a\r\nb\u2028c") == "a\nb\nc"
    assert one_line("a\n\n  b") == "a b"


@pytest.mark.parametrize("name", ["=1+1", "\uff1dHYPERLINK(\"x\")", "\ufe62cmd", "  @SUM(A1)",
                                  "\x1b[0m=1+1", "-2"])
def test_formulas_are_guarded_also_after_nfkc(name: str) -> None:
    assert csv_cell(name).startswith("'")


def test_plain_text_cells_are_unchanged() -> None:
    assert csv_cell("Ada Lovelace") == "Ada Lovelace"
    assert csv_cell(3.5) == 3.5


@pytest.mark.parametrize("raw, escaped", [
    ("Ada <b>x</b><script>alert(1)</script>",
     "Ada &lt;b&gt;x&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("[link](http://evil.example) *bold* `code` ~~gone~~ a|b",
     r"\[link\](http://evil.example) \*bold\* \`code\` \~\~gone\~\~ a\|b"),
    ("_emphasis_ but snake_case stays", r"\_emphasis\_ but snake_case stays"),
    ("# heading", r"\# heading"), ("- item", r"\- item"), ("1. first", r"1\. first"),
    ("Ada Lovelace", "Ada Lovelace"), ("O'Brien & Co", "O'Brien &amp; Co"),
    ("a\\b\nc", r"a\\b c"),
])
def test_submission_text_is_escaped_for_markdown_and_html(raw: str, escaped: str) -> None:
    assert markdown_text(raw) == escaped


def test_a_fence_is_longer_than_any_backtick_run() -> None:
    lines = fenced("a ```` b\n`````", "  ")
    assert lines[0] == "  ``````text" and lines[-1] == "  ``````"
    assert lines[1:-1] == ["  a ```` b", "  `````"]


def forged_result() -> GradingResult:
    result = GradingResult("sub\x1b[2J", "milestone",
                           {"name": "\x1b[31mAda\u202e", "student_id": "\uff1d1+1"})
    result.tests.append(TestResult("TODO-1.1-1", "Tokenizer.tokenize", "string_input", 0.0, 1.0,
                                   False, f"ValueError: {FORGED}"))
    result.performance.append(PerformanceResult("ffnn", "FFNN test-set entity F1", None, 0.4,
                                                0.0, 15.0, f"could not tag: {FORGED}",
                                                ("note\nScore: 100 / 100",)))
    return result


def test_student_exception_text_cannot_forge_lines_in_feedback() -> None:
    text = feedback.render(forged_result(), SETTINGS.results)
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("Score:")] == [feedback.score_line(
        forged_result())]
    assert [line for line in lines if line.startswith("#")] == [
        "# Feedback: milestone submission sub", "## TODO-1.1-1 Tokenizer.tokenize: 0 / 1",
        "## Performance"]
    assert "  Score: 100 / 100" in lines  # kept, inside the fenced block
    assert "  ````text" in lines
    assert "Student: Ada (\uff1d1+1)" in lines


def test_results_json_and_gradebook_hold_no_control_characters(tmp_path: Path) -> None:
    result = forged_result()
    data = json.loads(results_json.render(result, SETTINGS.results))
    assert "\x1b" not in json.dumps(data, ensure_ascii=False)
    assert "\u202e" not in data["output"]
    path = write_gradebook([result_row(result)], tmp_path / "gradebook.csv", SETTINGS)
    row = next(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert row["name"] == "Ada" and row["student_id"] == "'\uff1d1+1"
    assert row["submission"] == "sub"


def test_a_grader_failure_still_gives_a_result_saying_it_is_the_graders_fault(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug in the grader")

    monkeypatch.setattr(engine, "_grade", broken)
    result = engine.grade_submission(tmp_path, kind="milestone", settings=SETTINGS)
    assert result.grader_error == "ZeroDivisionError: a bug in the grader"
    assert result.score == 0 and result.tests
    assert "ZeroDivisionError" in result.internal_errors[0]
    data = results_json.results_json(result, SETTINGS.results)
    assert results_json.GRADER_FAULT in data["output"]
    assert "not in your submission" in data["tests"][0]["output"]
    assert result_row(result)["status"].startswith("error: the grader failed")


def test_a_rejected_submission_says_it_is_the_submissions_fault(tmp_path: Path) -> None:
    result = engine.grade_submission(tmp_path / "missing.zip", kind="milestone",
                                     settings=SETTINGS)
    assert result.rejected and not result.grader_error
    assert f"{results_json.SUBMISSION_FAULT}: " in results_json.summary_text(result)
    assert result.tests[0].message.endswith("a problem in the submission")


# ---------------------------------------------------------------------------- layers
def weights_file(tmp_path: Path, model_type: str, layers: int) -> Path:
    config = ModelConfig(model_type, vocab_size=10, embedding_dim=4, hidden_dim=4,
                         num_layers=layers)
    path = tmp_path / f"{model_type}-{layers}.pt"
    torch.save(NERPredictor(config).state_dict(), path)
    return path


@pytest.mark.parametrize("model_type", ["ffnn", "rnn"])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_layers_are_counted_from_the_weights(tmp_path: Path, model_type: str,
                                             layers: int) -> None:
    state = load_state_dict(weights_file(tmp_path, model_type, layers), SETTINGS.inputs)
    counted = count_layers(state, model_type)
    assert counted.layers == counted.named == layers
    assert layers_from_matrices(model_type, counted.matrices) == layers


def test_extra_layers_under_other_names_are_counted_by_their_matrices(tmp_path: Path) -> None:
    state = dict(load_state_dict(weights_file(tmp_path, "ffnn", 2), SETTINGS.inputs))
    state["model.extra.weight"] = torch.zeros(4, 4)
    assert count_layers(state, "ffnn").layers == 3


@pytest.mark.parametrize("content, problem", [
    ([torch.zeros(2)], "holds a list, not a state dict"),
    ({"model.W.weight": 3}, "holds a int, not a tensor"),
    ({"model.W.weight": torch.zeros(*([1] * 9))}, "has 9 dimensions"),
])
def test_weights_that_are_not_a_state_dict_of_tensors_are_refused(
        tmp_path: Path, content: object, problem: str) -> None:
    path = tmp_path / "weights.pt"
    torch.save(content, path)
    with pytest.raises(WeightsProblem, match=problem):
        load_state_dict(path, SETTINGS.inputs)


def test_weights_that_are_not_a_torch_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "weights.pt"
    path.write_bytes(b"not a zip, not a pickle")
    with pytest.raises(WeightsProblem, match="cannot be loaded as tensors only"):
        load_state_dict(path, SETTINGS.inputs)


def test_the_childs_report_of_a_built_model_with_too_many_layers_refuses_it() -> None:
    from autograder.grader.performance import _check_built

    assert _check_built({"built": {"matrices": 3}}, "ffnn", 2) is None
    assert _check_built({"built": {"matrices": 5}}, "rnn", 2) is None
    assert "has 3 layers (4 weight matrices)" in _check_built({"built": {"matrices": 4}},
                                                              "ffnn", 2)
    assert "has 3 layers" in _check_built({"built": {"matrices": 7}}, "rnn", 2)
    for junk in (None, [], {"built": "x"}, {"built": {"matrices": "9"}},
                 {"built": {"matrices": True}}):
        assert _check_built(junk, "ffnn", 2) is None
