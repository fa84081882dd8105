"""Sweep files: what a trial's config is, and one clear line for every mistake
(exit code 2, the file and the key named, no trial started)."""

from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")

from ner_helpers.cli.main import main  # noqa: E402
from ner_helpers.sweep.storage import open_storage, open_study  # noqa: E402
from ner_helpers.sweep.sweep_file import load_sweep_file, seed_sweeps  # noqa: E402

GOOD = """\
name: small
base: rnn
settings:
  training.epochs: 1
axes:
  model.cell: [rnn, gru]
  training.optimizer: [sgd, adam]
linked:
  training.optimizer:
    sgd: {training.lr: 0.5}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder, text, name="sweep.yaml"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_grid_points_and_their_configs(project):
    sweep = load_sweep_file(write(project, GOOD))
    assert sweep.grid() == [
        {"model.cell": "rnn", "training.optimizer": "sgd"},
        {"model.cell": "rnn", "training.optimizer": "adam"},
        {"model.cell": "gru", "training.optimizer": "sgd"},
        {"model.cell": "gru", "training.optimizer": "adam"}]
    config = sweep.trial_config({"model.cell": "gru", "training.optimizer": "sgd"})
    assert config["model"]["cell"] == "gru"
    assert config["training"]["optimizer"] == "sgd" and config["training"]["lr"] == 0.5
    assert config["training"]["epochs"] == 1 and config["model"]["model_type"] == "rnn"
    adam = sweep.trial_config({"model.cell": "rnn", "training.optimizer": "adam"})
    assert adam["training"]["lr"] == 0.001  # the base config's


def test_seed_sweeps_load():
    assert seed_sweeps() == ["depth", "optimizers-cells", "width"]
    sizes = {name: len(load_sweep_file(name).grid()) for name in seed_sweeps()}
    assert sizes == {"depth": 4, "optimizers-cells": 24, "width": 4}


BAD = [
    ("axes:\n  model.cell: [rnn, gru]", "axes:\n  model.colour: [rnn, gru]",
     ":6: axes model.colour: unknown config key 'model.colour'"),
    ("axes:\n  model.cell: [rnn, gru]", "axes:\n  model.num_layers: [1, two]",
     ":6: axes model.num_layers: 'two' is a str, expected a int"),
    ("axes:\n  model.cell: [rnn, gru]", "axes:\n  model.cell: []",
     ":6: axes model.cell: the grid is empty"),
    ("axes:\n  model.cell: [rnn, gru]\n  training.optimizer: [sgd, adam]", "axes: {}",
     ":5: axes: the grid is empty"),
    ("axes:\n  model.cell: [rnn, gru]", "axes:\n  model.cell: [rnn, transformer]",
     ":6: axes model.cell: 'transformer' is not one of"),
    ("training.epochs: 1", "training.epochs: 1.5", ":4: settings training.epochs: 1.5 is a "
     "float, expected a int"),
    ("axes:\n  model.cell: [rnn, gru]", "axes:\n  model.bidirectional: [false, true]",
     "axes model.bidirectional: the point {'model.bidirectional': True, "
     "'training.optimizer': 'sgd'} is not a valid model"),
    ("sgd: {training.lr: 0.5}", "sgd: {training.lr: fast}",
     "linked training.optimizer sgd: 'fast' is a str, expected a float"),
    ("base: rnn", "base: lstm", ":2: base: no bundled config named 'lstm'"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_mistakes_are_one_line_naming_file_and_key(project, capsys, old, new, message):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    if "axes: {}" in new:
        text = text.split("linked:")[0]
    path = write(project, text)
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}"), err
    assert message in err, err
    assert not (project / "artefacts" / "sweeps").exists()  # no study, no trial


def test_unreachable_storage(project, capsys):
    path = write(project, GOOD)
    url = "postgresql://kit:secret@127.0.0.1:9/nowhere"
    assert main(["sweep", str(path), "--storage", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: storage: cannot open")
    assert "secret" not in err and "kit:***@127.0.0.1:9" in err


def test_a_study_made_from_another_sweep_file_is_refused(project, capsys):
    first = load_sweep_file(write(project, GOOD, "first.yaml"))
    url = f"sqlite:///{project / 'shared.db'}"
    open_study(first, open_storage(url, 1, "first.yaml"))
    other = write(project, GOOD.replace("[sgd, adam]", "[sgd, adamw]"), "second.yaml")
    assert main(["sweep", str(other), "--storage", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"error: {other}:1: name: the study 'small' in this storage was made from " \
           f"another sweep file ({first.path})" in err
    trials = optuna.load_study(study_name="small", storage=url).get_trials()
    assert [t.state.name for t in trials] == ["WAITING"] * 4  # none started


def test_sweep_commands_have_help():
    for command in ("sweep", "sweep-report"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0


def test_a_tpe_sweep_samples_inside_its_ranges(project):
    from ner_helpers.sweep.worker import SweepWorker, suggest

    text = GOOD.replace("sampler: grid", "").split("linked:")[0] + """\
  training.lr: {low: 0.0001, high: 0.01, log: true}
  model.hidden_dim: {low: 8, high: 64}
sampler: tpe
trials: 3
"""
    sweep = load_sweep_file(write(project, text))
    storage = open_storage(f"sqlite:///{project / 'tpe.db'}", 1, "tpe.yaml")
    study = open_study(sweep, storage)
    assert study.get_trials() == []  # nothing enqueued: TPE samples each trial
    worker = SweepWorker(sweep, study, storage)
    trial = worker.next_trial()
    params = suggest(sweep, trial)
    assert 0.0001 <= params["training.lr"] <= 0.01
    assert isinstance(params["model.hidden_dim"], int) and 8 <= params["model.hidden_dim"] <= 64
    assert params["model.cell"] in ("rnn", "gru")
    assert sweep.trial_config(params)["model"]["hidden_dim"] == params["model.hidden_dim"]
