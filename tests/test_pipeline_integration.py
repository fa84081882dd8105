"""The real pipeline on a slice of CoNLL-2003: data, tokenizer, training, scoring.

Every step runs as the command a user types, in a temporary project folder,
so nothing is written into the repository's dataset/ or artefacts/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMALL_MODEL = ["--set", "model.embedding_dim=64", "--set", "model.hidden_dim=64",
               "--set", "training.lr=0.005"]


def ner_kit(cwd: Path, *args: str, timeout: int = 300) -> str:
    done = subprocess.run([sys.executable, "-m", "ner_helpers.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"ner-kit {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.slow
def test_conll_slice_end_to_end(tmp_path, shared_data):
    out = ner_kit(tmp_path, "data", "--source", str(shared_data / "conll2003"),
                  "--limit", "2000", "--no-progress")
    assert "2,000" in out
    assert not json.loads((tmp_path / "dataset" / "test.json").read_text())[0].get("NER")
    ner_kit(tmp_path, "tokenizer")
    scores = {}
    for model in ("ffnn", "rnn"):
        ner_kit(tmp_path, "train", "--config", model, "--epochs", "3", "--no-progress",
                *SMALL_MODEL)
        folder = tmp_path / "artefacts" / "experiments" / model
        assert {"config.yaml", "metrics.jsonl", "model", "scores.json",
                "test_predictions.json"} <= {p.name for p in folder.iterdir()}
        assert len(list((folder / "checkpoints").glob("epoch_*.pt"))) == 3
        scored = ner_kit(tmp_path, "score", str(folder / "test_predictions.json"), "--json")
        scores[model] = json.loads(scored)
        assert scores[model]["num_sentences"] == 2000
    # Three short epochs of small models on 2,000 sentences already find entities
    # (predicting all O scores 0; measured: FFNN about 0.3, RNN about 0.45).
    assert scores["ffnn"]["weighted_f1"] > 0.2, scores["ffnn"]["weighted_f1"]
    assert scores["rnn"]["weighted_f1"] > 0.2, scores["rnn"]["weighted_f1"]


@pytest.mark.slow
def test_training_resumes_and_refuses_to_overwrite(tmp_path):
    shutil.copytree(ROOT / "dataset" / "sample", tmp_path / "dataset" / "sample")
    ner_kit(tmp_path, "data", "--no-progress")
    ner_kit(tmp_path, "tokenizer")
    args = ["train", "--config", "rnn", "--no-progress", *SMALL_MODEL]
    ner_kit(tmp_path, *args, "--epochs", "1")
    refused = subprocess.run([sys.executable, "-m", "ner_helpers.cli.main", *args], cwd=tmp_path,
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "--resume" in refused.stderr
    assert "Traceback" not in refused.stderr
    ner_kit(tmp_path, *args, "--epochs", "2", "--resume")
    log = (tmp_path / "artefacts" / "experiments" / "rnn" / "metrics.jsonl").read_text()
    assert [json.loads(line)["epoch"] for line in log.splitlines()] == [1, 2]
    ner_kit(tmp_path, *args, "--epochs", "1", "--force")
    assert (tmp_path / "artefacts" / "experiments" / "rnn.old-1" / "metrics.jsonl").exists()


def test_every_command_has_help():
    for command in ("data", "tokenizer", "train", "predict", "score"):
        out = subprocess.run([sys.executable, "-m", "ner_helpers.cli.main", command, "--help"],
                             capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0 and "usage:" in out.stdout, command
