"""The encoder tagger through the commands a user types, offline: word pieces trained
on a CoNLL-2003 slice, a tiny random encoder trained, resumed, asked to predict, and
scored by ``ner-kit score`` on the same words as every other model."""

from __future__ import annotations

import json

import pytest
import torch
from test_pipeline_integration import ner_kit

pytest.importorskip("transformers")

from ner_helpers.encoder_training import encoder_optimizer, layer_groups  # noqa: E402

TINY = ["--set", "model.tiny_hidden_size=32", "--set", "model.tiny_layers=1",
        "--set", "model.gru_hidden_dim=32", "--set", "training.batch_size=16",
        "--set", "training.warmup_steps=5", "--set", "data.max_train=300",
        "--set", "data.max_val=100"]


@pytest.mark.slow
def test_tiny_encoder_trains_resumes_predicts_and_is_scored_on_words(tmp_path, shared_data):
    ner_kit(tmp_path, "data", "--source", str(shared_data / "conll2003"), "--limit", "300",
            "--no-progress")
    ner_kit(tmp_path, "pieces", "--vocab-size", "1500")
    again = tmp_path / "again"
    ner_kit(tmp_path, "pieces", "--vocab-size", "1500", "--out", str(again))
    pieces = tmp_path / "artefacts" / "pieces" / "tokenizer.json"
    assert pieces.read_bytes() == (again / "tokenizer.json").read_bytes()  # deterministic

    args = ["train", "--config", "encoder_tiny", "--no-progress", *TINY]
    ner_kit(tmp_path, *args, "--epochs", "1")
    ner_kit(tmp_path, *args, "--epochs", "2", "--resume")
    folder = tmp_path / "artefacts" / "experiments" / "encoder-tiny"
    log = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert [entry["epoch"] for entry in log] == [1, 2]
    assert log[1]["train"]["loss"] < log[0]["train"]["loss"]
    assert {p.name for p in (folder / "model").iterdir()} == {
        "config.json", "weights.pt", "encoder_config.json", "pieces.json"}

    # The test predictions: one tag per word of every test sentence.
    test_rows = json.loads((tmp_path / "dataset" / "test.json").read_text())
    predicted = json.loads((folder / "test_predictions.json").read_text())
    assert [len(row["NER"]) for row in predicted] == [len(row["text"]) for row in test_rows]
    # predict writes the same tags, and score reads them against the labelled words.
    ner_kit(tmp_path, "predict", "--experiment", "encoder-tiny", "--split", "val")
    scored = json.loads(ner_kit(tmp_path, "score", str(folder / "val_predictions.json"),
                                "--gold", str(tmp_path / "dataset" / "val.json"), "--json"))
    val_rows = json.loads((tmp_path / "dataset" / "val.json").read_text())
    assert scored["num_sentences"] == len(val_rows)
    # The trainer's validation F1 of the best epoch is the same number: the first piece
    # of each word is the word (no sentence of the slice is longer than a window).
    best = json.loads((folder / "scores.json").read_text())
    assert best["val"]["weighted_f1"] == pytest.approx(scored["weighted_f1"], abs=1e-9)


def test_layer_wise_rates_and_warm_up_follow_the_config():
    from ner_helpers.encoder_config import EncoderConfig

    class Layered(torch.nn.Module):  # the parameter names of a BERT-shaped tagger
        def __init__(self) -> None:
            super().__init__()
            self.config = EncoderConfig.from_dict({"model_type": "encoder",
                                                   "num_hidden_layers": 2})
            self.model = torch.nn.Module()
            self.model.encoder = torch.nn.Module()
            self.model.encoder.embeddings = torch.nn.Module()
            self.model.encoder.embeddings.word = torch.nn.Linear(2, 2)
            self.model.encoder.encoder = torch.nn.Module()
            self.model.encoder.encoder.layer = torch.nn.ModuleList(
                [torch.nn.Linear(2, 2) for _ in range(2)])
            self.model.V = torch.nn.Linear(2, 2)

        def forward(self, x):
            x = self.model.encoder.embeddings.word(x)
            for layer in self.model.encoder.encoder.layer:
                x = layer(x)
            return self.model.V(x)

    model = Layered()
    training = {"lr": 1e-2, "encoder_lr": 1e-3, "layer_lr_decay": 0.5, "warmup_steps": 4,
                "decay": "linear"}
    rates = {g["name"]: g["lr"] for g in layer_groups(model, training)}
    assert rates == pytest.approx({"head": 1e-2, "layer 1": 1e-3, "layer 0": 5e-4,
                                   "embeddings": 2.5e-4})

    def run(optimizer, steps):
        seen = []
        for _ in range(steps):
            optimizer.zero_grad()
            model(torch.ones(1, 2)).sum().backward()
            optimizer.step()
            seen.append(next(g["lr"] for g in optimizer.param_groups if g["name"] == "head"))
        return seen

    optimizer = encoder_optimizer(model, training, total_steps=12)
    first = run(optimizer, 6)
    assert first == pytest.approx([2.5e-3, 5e-3, 7.5e-3, 1e-2, 1e-2 * 7 / 8, 1e-2 * 6 / 8])
    # Resumed from a checkpoint of the optimizer, the schedule continues where it was.
    resumed = encoder_optimizer(model, training, total_steps=12)
    resumed.load_state_dict(optimizer.state_dict())
    assert run(resumed, 2) == pytest.approx([1e-2 * 5 / 8, 1e-2 * 4 / 8])
