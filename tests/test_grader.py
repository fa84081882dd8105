"""Grading whole submissions: the reference scores full marks, the student release
scores zero, a bug costs only its own TODO, regrading is byte-identical, and the
outputs follow Gradescope's format without leaking hidden test source.

Each grading takes a few seconds (one sandboxed child per submission); the
module takes about 60 s, hence the slow mark.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from test_grader_fixtures import (
    experiment_f1,
    hidden_labels,
    patched,
    reference_submission,
    stubbed,
    trained_project,
    variant_submission,
)

from autograder.cli.main import main as instructor_main
from autograder.grader import grade_submission, load_settings, write_outputs
from autograder.grader.hidden_test_runner import hidden_tests_dir
from autograder.grader.results_json import results_json

pytestmark = pytest.mark.slow

#: Gradescope's results.json format (autograder specification), as far as this grader uses it.
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "tests", "output", "visibility", "stdout_visibility"],
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "visibility": {"enum": ["visible", "hidden", "after_due_date", "after_published"]},
        "stdout_visibility": {"enum": ["visible", "hidden", "after_due_date",
                                       "after_published"]},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "score", "max_score", "output", "visibility", "status"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "score": {"type": "number", "minimum": 0},
                "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]},
                "output": {"type": "string"},
                "visibility": {"enum": ["visible", "hidden", "after_due_date",
                                        "after_published"]},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        }},
    },
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_project(tmp_path_factory.mktemp("grading"))


@pytest.fixture(scope="module")
def final_zip(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference_submission(project, "final", tmp_path_factory.mktemp("final"))


@pytest.fixture(scope="module")
def milestone_zip(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference_submission(project, "milestone", tmp_path_factory.mktemp("milestone"))


@pytest.fixture(scope="module")
def reached_settings(project: Path):
    """Settings whose baselines are the F1 the tiny reference models reach."""
    return load_settings().with_baselines({model: max(experiment_f1(project, model), 0.001)
                                           for model in ("ffnn", "rnn")})


def grade(path: Path, project: Path, **options):
    return grade_submission(path, hidden_labels=hidden_labels(project),
                            test_split=project / "dataset" / "test.json", **options)


def test_reference_milestone_scores_full_marks(milestone_zip: Path, project: Path) -> None:
    result = grade(milestone_zip, project)
    assert result.kind == "milestone"
    failed = [(t.todo, t.name, t.message) for t in result.tests if not t.passed]
    assert failed == []
    assert result.score == result.max_score == 40
    assert not result.performance and not result.internal_errors
    assert result.identity == {"student_id": "s1234567", "name": "Ada Lovelace"}


def test_reference_final_scores_full_marks(final_zip: Path, project: Path,
                                           reached_settings) -> None:
    result = grade(final_zip, project, settings=reached_settings)
    failed = [(t.todo, t.name, t.message) for t in result.tests if not t.passed]
    assert failed == []
    assert result.tests_score == 70
    for item in result.performance:
        assert item.f1 == pytest.approx(experiment_f1(project, item.model))
        assert item.points == item.max_points == 15
        assert item.notes == (), "the submitted predictions are what the model predicts"
    assert result.score == result.max_score == 100
    assert result.notes == []


def test_performance_points_scale_below_the_baseline(final_zip: Path, project: Path) -> None:
    f1 = experiment_f1(project, "rnn")
    settings = load_settings().with_baselines({"rnn": min(1.0, 2 * f1 + 0.01)})
    result = grade(final_zip, project, settings=settings, kind="final")
    rnn = next(item for item in result.performance if item.model == "rnn")
    expected = round(15 * f1 / settings.models["rnn"].baseline, 2)
    assert rnn.points == pytest.approx(expected, abs=0.011)
    assert "points scale as F1 / baseline" in rnn.message


def test_student_release_scores_zero(final_zip: Path, project: Path, tmp_path: Path) -> None:
    replace = {f"ner_helpers/{name}": stubbed(name) for name in
               ("tokenizer.py", "collator.py", "embedding.py", "trainer.py", "ffnn.py", "rnn.py")}
    stub_zip = variant_submission(final_zip, tmp_path / "stub.zip", replace)
    result = grade(stub_zip, project)
    assert [t.name for t in result.tests if t.passed] == []
    assert result.score == 0
    tokenize = next(t for t in result.tests if t.todo == "TODO-1.1-1")
    assert "NotImplementedError: TODO-1.1-1: not implemented yet" in tokenize.message
    for item in result.performance:
        assert item.points == 0 and item.f1 is None
        assert "could not tag the test text" in item.message


def test_a_bug_costs_only_its_own_todo(final_zip: Path, project: Path, tmp_path: Path,
                                       reached_settings) -> None:
    """A tokenizer that maps unknown tokens to 0 and a collator that pads labels with 0:
    the collator tests do not use the student's tokenizer, the model tests use neither,
    so only TODO-1.1-1 and TODO-1.2-1 lose points."""
    buggy = patched("collator.py", "padding = [self.pad_tag_id] * (length - len(tag_ids))",
                    "padding = [0] * (length - len(tag_ids))")
    tokenizer_bug = patched("tokenizer.py", "ids = [self.token2id.get(token, self.unk_id)",
                            "ids = [self.token2id.get(token, 0)")
    path = variant_submission(final_zip, tmp_path / "bug.zip",
                              {"ner_helpers/collator.py": buggy,
                               "ner_helpers/tokenizer.py": tokenizer_bug})
    result = grade(path, project, settings=reached_settings)
    lost = {todo for todo, (points, maximum) in result.todo_points().items() if points < maximum}
    assert lost == {"TODO-1.1-1", "TODO-1.2-1"}
    failed = {t.name: t.message for t in result.tests if not t.passed}
    assert {"unknown_tokens", "label_padding"} <= set(failed)
    for name in ("batch_tensors", "pads_to_longest", "padding_mask", "labels_are_tag_ids",
                 "unlabelled_batch", "returns_long_tensors", "string_input", "lowercasing"):
        assert name not in failed, failed.get(name)
    assert ("labels at pad positions must be the pad tag id (-100); found 0 at batch row 0, "
            "position 4") in failed["label_padding"]
    assert "unknown id 1" in failed["unknown_tokens"]


def test_regrading_is_byte_identical(final_zip: Path, project: Path, tmp_path: Path) -> None:
    first = write_outputs(grade(final_zip, project), tmp_path / "first")
    second = write_outputs(grade(final_zip, project), tmp_path / "second")
    for name in ("results.json", "feedback.md"):
        assert first[name].read_bytes() == second[name].read_bytes()


def test_results_follow_the_gradescope_format_and_hide_test_source(
        final_zip: Path, project: Path, tmp_path: Path) -> None:
    buggy = patched("rnn.py", "hidden = self.f[k](from_below[t] + self.U[k](hidden))",
                    "hidden = self.f[k](from_below[t])")
    path = variant_submission(final_zip, tmp_path / "rnn-bug.zip", {"ner_helpers/rnn.py": buggy})
    result = grade(path, project)
    data = results_json(result, load_settings().results)
    jsonschema.validate(data, RESULTS_SCHEMA)
    assert data["score"] == pytest.approx(sum(test["score"] for test in data["tests"]))
    failed = [t for t in data["tests"] if t["status"] == "failed"
              and t["name"].startswith("TODO-5-2")]
    assert failed, "the recurrence bug is caught"
    assert any("did not change the output at step" in t["output"] for t in failed)
    outputs = write_outputs(result, tmp_path / "out")
    text = "".join(path.read_text() for path in outputs.values())
    for source in sorted(hidden_tests_dir().glob("*.py")):
        for line in source.read_text().splitlines():
            line = line.strip()
            if len(line) > 40 and not line.startswith(("#", '"', "f\"", "'")) and \
                    '"' not in line and "'" not in line:
                assert line not in text, f"hidden test source leaked: {line}"
    assert "Traceback" not in text and "def test_" not in text


def test_rejected_and_identity_less_submissions_get_results(final_zip: Path, project: Path,
                                                            tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../escape.py", "x = 1")
    result = grade(evil, project, kind="milestone")
    assert result.rejected and "points outside the submission" in result.rejected
    assert result.score == 0 and result.max_score == 40
    assert all("rejected" in t.message for t in result.tests)
    nameless = variant_submission(final_zip, tmp_path / "nameless.zip",
                                  {"identity.json": None, "submission.json": None,
                                   "models/rnn/weights.pt": None})
    result = grade(nameless, project)
    assert result.kind == "final"
    assert "identity.json is missing: the submission does not say whose it is" in result.notes
    assert "submission.json is missing; graded as a final submission" in result.notes
    rnn = next(item for item in result.performance if item.model == "rnn")
    assert rnn.points == 0 and "lacks models/rnn/weights.pt" in rnn.message


def test_grade_command_writes_both_files(milestone_zip: Path, project: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = instructor_main(["grade", str(milestone_zip), "--out", str(tmp_path / "out"),
                            "--hidden-labels", str(hidden_labels(project))])
    output = capsys.readouterr().out
    assert code == 0
    assert "Milestone submission milestone-001 (Ada Lovelace, s1234567): 40 / 40 points." in output
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["score"] == 40
    feedback = (tmp_path / "out" / "feedback.md").read_text()
    assert "## TODO-1.2-1 DataCollator.__call__: 11 / 11" in feedback
