"""Sweeps on real studies: two worker processes on one SQLite file, a worker killed
mid-trial, Ctrl-C, and the report read back against the trials' logs."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("optuna")

from sweep_project import (  # noqa: E402
    assert_grid_complete_once,
    command,
    environment,
    make_project,
    ner_kit,
    study_trials,
    write_sweep,
)

from ner_helpers.cli.main import main  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sweep-workers")]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("sweep-project"))


def run_workers(project: Path, sweep: Path, url: str, count: int = 2) -> list[str]:
    """``count`` separate ``ner-kit sweep`` processes on one study; their outputs."""
    workers = [subprocess.Popen(command(project, "sweep", str(sweep), "--storage", url,
                                        "--no-progress", "--no-report", "--threads", "1"),
                                cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=environment())
               for _ in range(count)]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]
        outputs.append(out)
    return outputs


@pytest.fixture(scope="module")
def two_worker_study(project):
    sweep = write_sweep(project, "two-workers")
    url = f"sqlite:///{project / 'shared.db'}"
    outputs = run_workers(project, sweep, url)
    return url, outputs


def test_two_workers_on_one_sqlite_study_run_each_point_once(project, two_worker_study):
    url, outputs = two_worker_study
    trials = study_trials(url, "two-workers")
    assert len(trials) == 4  # nothing ran twice, nothing was retried
    assert_grid_complete_once(trials)
    ran = [int(re.search(r"this worker: (\d+) complete", out).group(1)) for out in outputs]
    assert sum(ran) == 4, outputs
    # Every trial is an ordinary experiment: predict and score work on it.
    name = trials[0].user_attrs["experiment"]
    folder = project / "artefacts" / "experiments" / name
    assert {"config.yaml", "metrics.jsonl", "model", "scores.json",
            "checkpoints"} <= {p.name for p in folder.iterdir()}
    ner_kit(project, "predict", "--experiment", name, "--split", "val")
    scored = ner_kit(project, "score", str(folder / "val_predictions.json"),
                     "--gold", "dataset/val.json", "--json").stdout
    log = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    best = json.loads((folder / "scores.json").read_text())["best_epoch"]
    assert json.loads(scored)["weighted_f1"] == pytest.approx(log[best - 1]["val"]["weighted_f1"])


def test_one_command_with_two_workers_shares_the_grid_between_two_processes(project):
    """``--workers 2``: the command's own process and one more on this machine (forked on
    Linux, before the study is opened) each run trials of the grid; each point once."""
    sweep = write_sweep(project, "one-command")
    url = f"sqlite:///{project / 'one-command.db'}"
    done = ner_kit(project, "sweep", str(sweep), "--storage", url, "--workers", "2",
                   "--threads", "1", "--no-progress", "--no-report")
    assert "4 of 4 trials finished" in done.stdout
    trials = study_trials(url, "one-command")
    assert len(trials) == 4
    assert_grid_complete_once(trials)
    workers = {t.user_attrs["worker"] for t in trials}
    assert len(workers) == 2, workers
    assert all(re.fullmatch(r".+:\d+", worker) for worker in workers)


def test_where_forking_is_not_safe_the_other_workers_are_fresh_processes(project, monkeypatch,
                                                                         capsys):
    """macOS and Windows: ``--workers 2`` starts a second ``ner-kit sweep`` process on
    the same storage once the study exists; the grid is shared all the same."""
    from ner_helpers.sweep import local_workers

    started: list[subprocess.Popen] = []

    class RecordedPopen(subprocess.Popen):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(local_workers, "can_fork", lambda: False)
    monkeypatch.setattr(local_workers.subprocess, "Popen", RecordedPopen)
    monkeypatch.chdir(project)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    sweep = write_sweep(project, "spawned", epochs=10)  # trials outlast a process start
    url = f"sqlite:///{project / 'spawned.db'}"
    assert main(["sweep", str(sweep), "--storage", url, "--workers", "2", "--threads", "1",
                 "--no-progress", "--no-report"]) == 0
    assert "4 of 4 trials finished" in capsys.readouterr().out
    (spawned,) = started
    assert spawned.args[1:4] == ["-m", "ner_helpers.cli.main", "sweep"]
    assert "--storage" in spawned.args and url in spawned.args
    assert spawned.returncode == 0
    trials = study_trials(url, "spawned")
    assert len(trials) == 4
    assert_grid_complete_once(trials)
    workers = {t.user_attrs["worker"] for t in trials}
    assert f"{spawned.pid}" in " ".join(workers), workers  # it ran trials of the grid


def test_a_bad_storage_stops_the_waiting_workers_too(project):
    """Opening the study fails in the first process: the workers it started before
    end without running anything, and the command exits 2 with one line."""
    sweep = write_sweep(project, "bad-storage")
    done = ner_kit(project, "sweep", str(sweep), "--storage",
                   "postgresql://nobody:secret@127.0.0.1:9/none", "--workers", "3",
                   "--no-progress", expect=2, timeout=120)
    assert done.stderr.count("error:") == 1, done.stderr
    assert "secret" not in done.stderr and "bad-storage.yaml" in done.stderr
    assert not (project / "artefacts" / "experiments" / "sweeps" / "bad-storage").exists()


def test_report_figures_equal_the_trials_logs(project, two_worker_study, monkeypatch, capsys):
    url, _ = two_worker_study
    monkeypatch.chdir(project)
    assert main(["sweep-report", "two-workers", "--storage", url, "--out", "report"]) == 0
    out = capsys.readouterr().out
    report = project / "report"
    assert {"table.csv", "table.md", "metric_by_axis.png", "curves_by_axis.png",
            "optimization_history.png"} <= {p.name for p in report.iterdir()}
    rows = list(csv.DictReader((report / "table.csv").open()))
    assert len(rows) == 4
    for row in rows:
        folder = project / "artefacts" / "experiments" / row["experiment"]
        log = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        scores = json.loads((folder / "scores.json").read_text())
        config = json.loads((folder / "model" / "config.json").read_text())
        assert int(row["best_epoch"]) == scores["best_epoch"]
        assert float(row["val_f1"]) == pytest.approx(scores["val"]["weighted_f1"], abs=5e-5)
        assert float(row["val_f1"]) == pytest.approx(
            log[scores["best_epoch"] - 1]["val"]["weighted_f1"], abs=5e-5)
        assert float(row["train_s"]) == pytest.approx(sum(e["seconds"] for e in log), abs=0.06)
        assert row["model.cell"] == config["cell"]
        assert int(row["parameters"]) > 0
        assert row["test_f1"] != ""  # the sample's hidden test labels are at hand
    assert "| model.cell | training.optimizer | val_f1 |" in out


def wait_for(path_glob: Path, pattern: str, timeout: float = 180) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(path_glob.glob(pattern))
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"nothing matched {path_glob}/{pattern} within {timeout} s")


def test_interrupted_and_killed_workers_leave_a_grid_the_rerun_finishes(project):
    sweep = write_sweep(project, "killed", epochs=5)
    url = f"sqlite:///{project / 'killed.db'}"
    trials_dir = project / "artefacts" / "experiments" / "sweeps" / "killed"
    args = command(project, "sweep", str(sweep), "--storage", url, "--no-progress")

    # Ctrl-C during the first trial: it is put back, the worker stops with 130.
    worker = subprocess.Popen(args, cwd=project, env=environment(), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(trials_dir, "*/checkpoints/epoch_002.pt")
    worker.send_signal(signal.SIGINT)
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    states = [t.state.name for t in study_trials(url, "killed")]
    assert states.count("FAIL") == 1 and "RUNNING" not in states
    assert states.count("WAITING") == 4  # the interrupted point is waiting again

    # SIGKILL during a trial: it stays running until its heartbeat is stale.
    worker = subprocess.Popen(args, cwd=project, env=environment(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.time()
    deadline = time.monotonic() + 180
    killed_folder = None
    while killed_folder is None and time.monotonic() < deadline:
        for checkpoint in trials_dir.glob("*/checkpoints/epoch_00[1-3].pt"):
            folder = checkpoint.parent.parent
            if checkpoint.stat().st_mtime > started and not (
                    folder / "checkpoints" / "epoch_005.pt").exists():
                killed_folder = folder
                break
        time.sleep(0.02)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    assert killed_folder is not None
    running = [t for t in study_trials(url, "killed") if t.state.name == "RUNNING"]
    assert len(running) == 1

    done = ner_kit(project, "sweep", str(sweep), "--storage", url, "--no-progress",
                   "--no-report")
    trials = study_trials(url, "killed")
    assert_grid_complete_once(trials)
    assert [t.state.name for t in trials].count("FAIL") == 2, done.stdout
    # The killed point resumed from its checkpoint: each of its epochs is logged once.
    for folder in trials_dir.iterdir():
        log = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        assert [entry["epoch"] for entry in log] == list(range(1, 6)), folder.name


PRUNING_SWEEP = """\
name: pruned
base: rnn
settings:
  training.epochs: 3
  training.batch_size: 8
  model.embedding_dim: 48
  model.hidden_dim: 48
  model.num_layers: 1
  model.cell: gru
  training.average_last_epochs: 1
axes:
  training.lr: [0.01, 0.02, 0.0]
pruning: true
"""


def test_a_trial_below_the_median_is_pruned_and_its_epoch_recorded(project, monkeypatch):
    (project / "pruned.yaml").write_text(PRUNING_SWEEP)
    url = f"sqlite:///{project / 'pruned.db'}"
    monkeypatch.chdir(project)
    assert main(["sweep", "pruned.yaml", "--storage", url, "--no-progress"]) == 0
    trials = {t.params["training.lr"]: t for t in study_trials(url, "pruned")}
    assert [trials[lr].state.name for lr in (0.01, 0.02)] == ["COMPLETE", "COMPLETE"]
    frozen = trials[0.0]  # never learns: below the median from the first epoch on
    assert frozen.state.name == "PRUNED" and frozen.user_attrs["pruned_epoch"] == 1
    folder = project / "artefacts" / "experiments" / frozen.user_attrs["experiment"]
    log = (folder / "metrics.jsonl").read_text().splitlines()
    assert len(log) == 1 and (folder / "checkpoints" / "epoch_001.pt").is_file()
    rows = {row["training.lr"]: row
            for row in csv.DictReader((project / "artefacts" / "sweeps" / "pruned" /
                                       "table.csv").open())}
    assert rows["0.0"]["state"] == "pruned" and rows["0.0"]["pruned_epoch"] == "1"
    assert rows["0.01"]["pruned_epoch"] == ""
