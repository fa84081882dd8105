"""Shared material for the submission, grader and Gradescope tests (no tests here).

:func:`trained_project` builds, once per test process, a temporary project
from the bundled sample corpus with the real commands' functions: the
dataset and hidden labels, a tokenizer, and tiny trained FFNN and RNN
experiments. Tests work inside it with :func:`inside` and never write into
the repository's dataset/ or artefacts/.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from autograder.release.markers import strip_solutions
from ner_helpers.data import build_dataset, load_split
from ner_helpers.experiment import run_experiment
from ner_helpers.submission import build_submission, save_identity, write_zip
from ner_helpers.tokenizer import Tokenizer

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "dataset" / "sample"
STUDENT_FILES = ["tokenizer.py", "collator.py", "embedding.py", "trainer.py", "ffnn.py", "rnn.py"]
MILESTONE_FILES = STUDENT_FILES[:4]
TINY = {"embedding_dim": 24, "hidden_dim": 24, "num_layers": 2}

_projects: dict[str, Path] = {}


@contextlib.contextmanager
def inside(folder: Path) -> Iterator[Path]:
    """Run a block with ``folder`` as working directory (the kit resolves paths from it)."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(previous)


def tiny_config(model_type: str, name: str, **model: object) -> dict:
    config = {"name": name, "seed": 13, "device": "cpu",
              "model": {"model_type": model_type, **TINY, **model},
              "collator": {"padding": "longest", "max_length": None},
              "training": {"epochs": 4, "batch_size": 16, "optimizer": "adam", "lr": 0.01,
                           "weight_decay": 0.0, "grad_clip_max_norm": 1.0,
                           "use_class_weights": False}}
    if model_type == "rnn":
        config["model"].update({"nonlinearity": "tanh", "bias": True})
    return config


def trained_project(root: Path) -> Path:
    """A project with the sample dataset, a tokenizer and tiny trained ffnn/rnn experiments
    (built once per process; later calls return the same folder)."""
    key = "project"
    if key in _projects:
        return _projects[key]
    project = root / "project"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text("# a temporary course project\n")
    with inside(project):
        build_dataset(str(SAMPLE), None, None, progress=False)
        tokenizer = Tokenizer().train(load_split(project / "dataset" / "train.json"), min_freq=1,
                                      remove_frac=0.0)
        tokenizer.save(project / "artefacts" / "tokenizer.json")
        run_experiment(tiny_config("ffnn", "ffnn"), show_progress=False)
        run_experiment(tiny_config("rnn", "rnn"), show_progress=False)
    _projects[key] = project
    return project


def hidden_labels(project: Path) -> Path:
    return project / "autograder" / "hidden" / "test_labels.json"


def reference_submission(project: Path, kind: str, out_dir: Path) -> Path:
    """A submission zip of the reference solution, built with ``build_submission``."""
    with inside(project):
        save_identity("s1234567", "Ada Lovelace")
        return build_submission(kind, out_dir=out_dir).path


def variant_submission(source_zip: Path, out: Path, replace: dict[str, str | None]) -> Path:
    """A copy of a submission zip with some entries replaced (``None`` removes one)."""
    import zipfile

    with zipfile.ZipFile(source_zip) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    for name, text in replace.items():
        if text is None:
            entries.pop(name, None)
        else:
            entries[name] = text.encode("utf-8")
    return write_zip(entries, out)


def stubbed(name: str) -> str:
    """The student-release (stubbed) text of a package file."""
    return strip_solutions((REPO / "ner_helpers" / name).read_text(encoding="utf-8"))


def patched(name: str, old: str, new: str) -> str:
    """A package file of the reference with one snippet replaced (a deliberate bug)."""
    text = (REPO / "ner_helpers" / name).read_text(encoding="utf-8")
    if old not in text:
        raise AssertionError(f"{name} no longer contains {old!r}")
    return text.replace(old, new, 1)


def experiment_f1(project: Path, model: str) -> float:
    """The weighted F1 of an experiment's test predictions on the hidden labels."""
    from ner_helpers.data import load_hidden_labels
    from ner_helpers.predictions import load_predictions, score_predictions

    predictions = project / "artefacts" / "experiments" / model / "test_predictions.json"
    return float(score_predictions(load_predictions(predictions),
                                   load_hidden_labels(hidden_labels(project)))["weighted_f1"])


def copy_experiment(project: Path, name: str, new_name: str) -> Path:
    source = project / "artefacts" / "experiments" / name
    target = project / "artefacts" / "experiments" / new_name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return target


def read_json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))
