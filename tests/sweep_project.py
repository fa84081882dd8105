"""A throwaway project for sweep tests: the bundled sample corpus, its tokenizer and
a small grid of 4 points, with commands run as the user types them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: A grid of 4 small, quick RNN trials on the sample corpus.
GRID_SWEEP = """\
name: {name}
base: rnn
settings:
  training.epochs: {epochs}
  training.batch_size: 16
  model.embedding_dim: 16
  model.hidden_dim: 16
  model.num_layers: 1
axes:
  model.cell: [rnn, gru]
  training.optimizer: [adam, rmsprop]
sampler: grid
heartbeat_seconds: 1
"""


def command(cwd: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ner_helpers.cli.main", *args]


def environment() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def ner_kit(cwd: Path, *args: str, timeout: int = 300,
            expect: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(command(cwd, *args), cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=environment())
    assert done.returncode == expect, (f"ner-kit {' '.join(args)} exited {done.returncode}:\n"
                                       f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


def make_project(folder: Path) -> Path:
    """The sample corpus built into ``folder/dataset`` with its tokenizer."""
    shutil.copytree(ROOT / "dataset" / "sample", folder / "dataset" / "sample")
    ner_kit(folder, "data", "--no-progress")
    ner_kit(folder, "tokenizer")
    return folder


def write_sweep(folder: Path, name: str = "grid4", epochs: int = 2) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(GRID_SWEEP.format(name=name, epochs=epochs), encoding="utf-8")
    return path


def study_trials(url: str, name: str) -> list:
    """Every trial of the study (Optuna's frozen trials), in trial order."""
    import optuna

    from ner_helpers.sweep.storage import with_driver

    return optuna.load_study(study_name=name, storage=with_driver(url)).get_trials(deepcopy=False)


def assert_grid_complete_once(trials: list, grid_size: int = 4) -> None:
    """Each grid point complete exactly once."""
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    points = [tuple(sorted(t.params.items())) for t in complete]
    assert len(points) == grid_size, [(t.number, t.state.name, t.params) for t in trials]
    assert len(set(points)) == grid_size, points
