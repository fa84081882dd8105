"""Baseline calibration and the checks of grading.yaml (under 10 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_grader_fixtures import experiment_f1, inside, trained_project

from autograder.cli.main import main as instructor_main
from autograder.grader.calibration import (
    Proposal,
    ReferenceRun,
    TrainingAmount,
    calibration_seeds,
    experiment_training,
    proposal_table,
    proposal_verdicts,
    propose_baseline,
    propose_from_runs,
    set_baseline,
    shipped_training,
    undertraining_warnings,
)
from autograder.grader.settings import default_settings_path, load_settings
from ner_helpers.errors import KitError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_project(tmp_path_factory.mktemp("grading"))


def test_default_settings_hold_the_calibrated_values() -> None:
    settings = load_settings()
    assert settings.models["ffnn"].baseline == 0.40 and settings.models["rnn"].baseline == 0.65
    assert settings.max_score("final") == 100 and settings.max_score("milestone") == 40
    assert settings.kind("milestone").models == ()


def test_no_reference_seed_falls_under_a_shipped_baseline_on_conll2003() -> None:
    """The shipped baselines (the course's FFNN 0.40 and RNN 0.65), against the five
    reference seeds measured on CoNLL-2003 (benchmarks/results/calibration_conll2003.yaml,
    docs/reference-results.md): no seed of the reference falls under its baseline, and the
    file's proposal is the calibration rule applied to the lowest seed."""
    results = REPO / "benchmarks" / "results" / "calibration_conll2003.yaml"
    data = yaml.safe_load(results.read_text(encoding="utf-8"))
    settings = load_settings()
    assert data["rule"]["fraction"] == settings.calibration.fraction
    for model in ("ffnn", "rnn"):
        entry = settings.models[model]
        runs = data["models"][model]["runs"]
        f1s = [run["f1"] for run in runs]
        assert len(f1s) == 5 and len({run["seed"] for run in runs}) == 5
        assert all(f1 >= entry.baseline for f1 in f1s), (model, entry.baseline, f1s)
        lowest_rule = propose_from_runs(f1s, settings.calibration.fraction,
                                        settings.calibration.step)
        assert lowest_rule <= min(f1s) * settings.calibration.fraction


def test_proposals_round_down_to_the_step() -> None:
    assert propose_baseline(0.4912, 0.85, 0.01) == 0.41
    assert propose_baseline(0.77, 0.85, 0.05) == 0.65
    assert propose_baseline(0.0, 0.85, 0.01) == 0.01


def test_proposals_come_from_the_lowest_seed() -> None:
    """The spread of five seeds: the baseline is 0.85 x the lowest run, so none of them
    would lose points, while a baseline from the first seed alone would cost one of them."""
    f1s = [0.4412, 0.4105, 0.3630, 0.4020, 0.3900]
    assert calibration_seeds(13, 5) == [13, 14, 15, 16, 17]
    assert propose_from_runs(f1s, 0.85, 0.01) == 0.30
    runs = tuple(ReferenceRun(f"calibrate-ffnn-seed{seed}", seed, f1)
                 for seed, f1 in zip(calibration_seeds(13, 5), f1s, strict=True))
    proposal = Proposal("ffnn", runs, 0.40, propose_from_runs(f1s, 0.85, 0.01))
    assert proposal.min_f1 == 0.3630 and round(proposal.spread, 4) == 0.0782
    assert round(proposal.mean_f1, 4) == 0.4013 and round(proposal.sd, 4) == 0.0286
    assert proposal.seeds_below(0.40) == 2 and proposal.seeds_below(0.30) == 0
    assert proposal.seeds_below(propose_baseline(f1s[0], 0.85, 0.01)) == 1
    table = proposal_table([proposal]).splitlines()
    assert table[0].split()[:6] == ["model", "seeds", "mean", "F1", "spread", "sd"]
    assert table[1].split() == ["ffnn", "5", "0.4013", "0.0782", "0.0286", "0.3630", "0.40",
                                "2", "0.30", "0"]
    assert proposal_verdicts([proposal]) == [
        "ffnn: with the proposed baseline 0.3, 0 of 5 reference runs would lose points; "
        "with the baseline now (0.4), 2 of 5"]
    with pytest.raises(KitError, match="no reference runs"):
        propose_from_runs([], 0.85, 0.01)


def test_set_baseline_keeps_everything_else() -> None:
    text = default_settings_path().read_text()
    changed = set_baseline(text, "rnn", 0.5)
    removed = [line for line in text.splitlines() if line not in changed.splitlines()]
    assert removed == ["    baseline: 0.65"]
    assert "    baseline: 0.5" in changed.splitlines()
    with pytest.raises(KitError, match="performance.cnn.baseline"):
        set_baseline(text, "cnn", 0.5)


@pytest.mark.parametrize("old, new, message", [
    ("    baseline: 0.40", "    baseline: 1.5", "performance.ffnn.baseline: must be in"),
    ("    models: [ffnn, rnn]", "    models: [ffnn, cnn]", "cnn has no entry under performance"),
    ("      label_padding: 1", "      label_padding: two", "label_padding: must be a number"),
    ("  run_as: nobody", "  run_as: 7", "sandbox.run_as"),
    ("  bubblewrap: auto", "  bubblewrap: maybe", "sandbox.bubblewrap: must be one of auto"),
    ("  work_mb: 64", "  work_mb: 0", "sandbox.work_mb: must be a number >= 1"),
    ("  submission_timeout_s: 450", "  submission_timeout_s: -1",
     "sandbox.submission_timeout_s: must be a number"),
    ("    rnn: {name: RNN F1, order: desc}", "    rnn: {name: RNN F1, order: up}",
     "leaderboard.entries.rnn.order: must be asc or desc"),
    ("    rnn: {name: RNN F1, order: desc}", "    cnn: {name: CNN F1, order: desc}",
     "leaderboard.entries.cnn: has no entry under performance"),
    ("  salt: change-this-course-salt", "  salt: ''", "leaderboard.salt"),
    ("  most_failed: 10 ", "  most_failed: 0 ", "report.most_failed"),
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
    # the fixture's ffnn trained 4 epochs, the shipped ffnn.yaml asks for 6
    assert "warning: ffnn: the reference ffnn trained 4 epochs, fewer than the 6 of the " \
           "shipped ffnn.yaml" in printed and "proposed baseline is too low" in printed
    assert config.read_text() == default_settings_path().read_text()
    data = yaml.safe_load(proposal.read_text())
    assert any(line.startswith("ffnn: ") for line in data["warnings"])
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
    """A trial run (one epoch on 40 sentences, two seeds) of the training path: its own
    tokenizer, the shipped ffnn and rnn configs once per seed, experiments named
    calibrate-MODEL-seedN, the baseline from the lowest seed."""
    proposal = tmp_path / "proposal.yaml"
    with inside(project):
        code = instructor_main(["calibrate", "--epochs", "1", "--max-train", "40",
                                "--seeds", "2", "--no-progress", "--proposal", str(proposal)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "training the reference rnn (calibrate-rnn-seed13, seed 13)" in printed
    assert "training the reference rnn (calibrate-rnn-seed14, seed 14)" in printed
    for model in ("ffnn", "rnn"):
        for seed in (13, 14):
            assert (f"warning: {model}: the reference calibrate-{model}-seed{seed} trained 1 "
                    "epochs") in printed
        assert f"{model}: with the proposed baseline" in printed
    assert "40 training sentences, fewer than the" in printed
    data = yaml.safe_load(proposal.read_text())
    assert sorted(data["models"]) == ["ffnn", "rnn"]
    experiments = project / "artefacts" / "experiments"
    for model in ("ffnn", "rnn"):
        entry = data["models"][model]
        assert [run["seed"] for run in entry["runs"]] == [13, 14]
        assert [run["experiment"] for run in entry["runs"]] == [
            str(experiments / f"calibrate-{model}-seed{seed}") for seed in (13, 14)]
        f1s = [experiment_f1(project, f"calibrate-{model}-seed{seed}") for seed in (13, 14)]
        assert entry["min_f1"] == round(min(f1s), 4)
        assert entry["proposed_baseline"] == propose_from_runs(f1s, 0.85, 0.01)
        # zero on a real run; a trial run's F1 can sit under the one-step floor (0.01)
        assert entry["runs_below_proposed"] == sum(
            f1 < entry["proposed_baseline"] for f1 in f1s)
        for seed in (13, 14):
            config = yaml.safe_load((experiments / f"calibrate-{model}-seed{seed}"
                                     / "config.yaml").read_text())
            assert config["model"]["hidden_dim"] == 512  # the shipped config, not the tiny one
            assert config["seed"] == seed
    assert (project / "artefacts" / "calibration" / "tokenizer.json").exists()


def test_gradebook_cells_never_become_formulas(tmp_path: Path) -> None:
    import csv

    from autograder.grader.gradebook import write_gradebook

    path = write_gradebook([{"submission": "a", "name": "=HYPERLINK(\"x\")", "score": -1.5,
                             "student_id": "@evil"}], tmp_path / "g.csv", load_settings())
    row = next(csv.DictReader(path.open()))
    assert row["name"] == "'=HYPERLINK(\"x\")" and row["student_id"] == "'@evil"
    assert row["score"] == "-1.5"


def write_experiment(folder: Path, config: dict, epochs_logged: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "metrics.jsonl").write_text("".join(
        f'{{"epoch": {epoch}, "train": {{"loss": 1.0}}}}\n'
        for epoch in range(1, epochs_logged + 1)))
    return folder


def test_undertrained_references_are_named(tmp_path: Path) -> None:
    shipped = shipped_training({"training": {"epochs": 6}}, train_size=1000)
    assert shipped == TrainingAmount(6, 1000)
    short = experiment_training(write_experiment(
        tmp_path / "short", {"training": {"epochs": 2}, "data": {"max_train": 300}}, 2), 1000)
    assert short == TrainingAmount(2, 300)
    [warning] = undertraining_warnings("rnn", "short", short, shipped, "the shipped rnn.yaml")
    assert warning.startswith("rnn: the reference short trained 2 epochs, fewer than the 6 "
                              "of the shipped rnn.yaml and 300 training sentences, fewer "
                              "than the 1,000")
    assert "proposed baseline is too low" in warning
    # stopped early: the metrics log counts, not the configured epochs
    stopped = experiment_training(write_experiment(
        tmp_path / "stopped", {"training": {"epochs": 6}}, 3), 1000)
    assert stopped == TrainingAmount(3, 1000)
    assert undertraining_warnings("ffnn", "stopped", stopped, shipped, "ffnn.yaml")
    full = experiment_training(write_experiment(
        tmp_path / "full", {"training": {"epochs": 6}, "data": {"max_train": 5000}}, 6), 1000)
    assert undertraining_warnings("ffnn", "full", full, shipped, "ffnn.yaml") == []
