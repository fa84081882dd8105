"""Baseline calibration and the checks of grading.yaml (under 10 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_grader_fixtures import experiment_f1, inside, trained_project

from autograder.cli.main import main as instructor_main
from autograder.grader.calibration import propose_baseline, set_baseline
from autograder.grader.settings import default_settings_path, load_settings
from ner_helpers.errors import KitError


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_project(tmp_path_factory.mktemp("grading"))


def test_default_settings_hold_the_course_values() -> None:
    settings = load_settings()
    assert settings.models["ffnn"].baseline == 0.40 and settings.models["rnn"].baseline == 0.65
    assert settings.max_score("final") == 100 and settings.max_score("milestone") == 40
    assert settings.kind("milestone").models == ()


def test_proposals_round_down_to_the_step() -> None:
    assert propose_baseline(0.4912, 0.85, 0.01) == 0.41
    assert propose_baseline(0.77, 0.85, 0.05) == 0.65
    assert propose_baseline(0.0, 0.85, 0.01) == 0.01


def test_set_baseline_keeps_everything_else() -> None:
    text = default_settings_path().read_text()
    changed = set_baseline(text, "rnn", 0.6)
    removed = [line for line in text.splitlines() if line not in changed.splitlines()]
    assert removed == ["    baseline: 0.65"]
    assert "    baseline: 0.6" in changed.splitlines()
    with pytest.raises(KitError, match="performance.cnn.baseline"):
        set_baseline(text, "cnn", 0.5)


@pytest.mark.parametrize("old, new, message", [
    ("    baseline: 0.40", "    baseline: 1.5", "performance.ffnn.baseline: must be in"),
    ("    models: [ffnn, rnn]", "    models: [ffnn, cnn]", "cnn has no entry under performance"),
    ("      label_padding: 1", "      label_padding: two", "label_padding: must be a number"),
    ("  run_as: nobody", "  run_as: 7", "sandbox.run_as"),
])
def test_bad_settings_are_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = default_settings_path().read_text()
    assert old in text
    path = tmp_path / "grading.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(KitError, match=message):
        load_settings(path)


def test_calibrate_from_experiments_proposes_and_writes_on_request(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "grading.yaml"
    config.write_text(default_settings_path().read_text())
    proposal = tmp_path / "proposal.yaml"
    with inside(project):
        code = instructor_main(["calibrate", "--from-experiments", "--grading-config",
                                str(config), "--proposal", str(proposal)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "grading.yaml unchanged" in printed
    assert config.read_text() == default_settings_path().read_text()
    data = yaml.safe_load(proposal.read_text())
    expected = {model: propose_baseline(experiment_f1(project, model), 0.85, 0.01)
                for model in ("ffnn", "rnn")}
    assert {m: v["proposed_baseline"] for m, v in data["models"].items()} == expected
    with inside(project):
        code = instructor_main(["calibrate", "--from-experiments", "--grading-config",
                                str(config), "--proposal", str(proposal), "--write"])
    assert code == 0
    assert (tmp_path / "grading.yaml.bak-1").read_text() == \
        default_settings_path().read_text()
    updated = load_settings(config)
    assert {m: updated.models[m].baseline for m in expected} == expected


@pytest.mark.slow
def test_calibrate_trains_the_shipped_configs(project: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A trial run (one epoch on 40 sentences) of the training path: its own tokenizer,
    the shipped ffnn and rnn configs, experiments named calibrate-*."""
    proposal = tmp_path / "proposal.yaml"
    with inside(project):
        code = instructor_main(["calibrate", "--epochs", "1", "--max-train", "40",
                                "--no-progress", "--proposal", str(proposal)])
    assert code == 0
    assert "training the reference rnn (calibrate-rnn)" in capsys.readouterr().out
    data = yaml.safe_load(proposal.read_text())
    assert sorted(data["models"]) == ["ffnn", "rnn"]
    experiments = project / "artefacts" / "experiments"
    for model in ("ffnn", "rnn"):
        assert data["models"][model]["experiment"] == str(experiments / f"calibrate-{model}")
        config = yaml.safe_load((experiments / f"calibrate-{model}" / "config.yaml").read_text())
        assert config["model"]["hidden_dim"] == 512  # the shipped config, not the tiny one
    assert (project / "artefacts" / "calibration" / "tokenizer.json").exists()


def test_gradebook_cells_never_become_formulas(tmp_path: Path) -> None:
    import csv

    from autograder.grader.gradebook import write_gradebook

    path = write_gradebook([{"submission": "a", "name": "=HYPERLINK(\"x\")", "score": -1.5,
                             "student_id": "@evil"}], tmp_path / "g.csv", load_settings())
    row = next(csv.DictReader(path.open()))
    assert row["name"] == "'=HYPERLINK(\"x\")" and row["student_id"] == "'@evil"
    assert row["score"] == "-1.5"
