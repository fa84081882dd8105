"""Training on a CUDA GPU: the path Colab users take.

These tests need a GPU and are skipped without one; run them on a GPU host with
``pytest tests/test_cuda.py``. They use the bundled sample corpus, so they need
no shared data.
"""

import json

import pytest
import torch

from ner_helpers.collator import DataCollator
from ner_helpers.data import build_dataset, load_split
from ner_helpers.experiment import build_predictor, build_trainer
from ner_helpers.predictions import predict_rows
from ner_helpers.tokenizer import Tokenizer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture
def sample(tmp_path):
    """(train rows, val rows) of the bundled sample corpus, built by the data command."""
    build_dataset(None, tmp_path / "dataset", tmp_path / "hidden_labels.json")
    return (load_split(tmp_path / "dataset" / "train.json"),
            load_split(tmp_path / "dataset" / "val.json"))


def config(model_type, device):
    return {"seed": 5, "device": device,
            "model": {"model_type": model_type, "embedding_dim": 16, "hidden_dim": 16,
                      "num_layers": 2, "rare_word_dropout": 0.5, "embedding_dropout": 0.1},
            "training": {"epochs": 3, "batch_size": 8, "lr": 0.01, "grad_clip_max_norm": 1.0,
                         "use_class_weights": True, "average_last_epochs": 2}}


@pytest.mark.parametrize("model_type", ["ffnn", "rnn"])
def test_training_runs_on_the_gpu_and_saves_cpu_weights(model_type, sample, tmp_path):
    train, val = sample
    tokenizer = Tokenizer().train(train, min_freq=1, remove_frac=0.0)
    settings = config(model_type, "cuda")
    predictor = build_predictor(settings, tokenizer, train)
    trainer = build_trainer(settings, predictor, DataCollator(tokenizer), train, val,
                            show_progress=False)
    history = trainer.train(3, output_dir=tmp_path)
    assert all(p.device.type == "cuda" for p in predictor.parameters())
    assert history[-1]["train"]["loss"] < history[0]["train"]["loss"]
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 3
    predictor.cpu().save(tmp_path / "model")
    saved = torch.load(tmp_path / "model" / "weights.pt", weights_only=True)
    assert all(tensor.device.type == "cpu" for tensor in saved.values())
    predictions = predict_rows(predictor, tokenizer, val)
    assert [len(row["NER"]) for row in predictions] == [len(row["text"]) for row in val]
    json.dumps(predictions)


def test_resume_on_the_gpu_matches_an_uninterrupted_run(sample, tmp_path):
    train, val = sample
    tokenizer = Tokenizer().train(train, min_freq=1, remove_frac=0.0)
    settings = config("rnn", "cuda")

    def fresh():
        predictor = build_predictor(settings, tokenizer, train)
        return build_trainer(settings, predictor, DataCollator(tokenizer), train, val,
                             show_progress=False)

    straight = fresh()
    straight.train(3, output_dir=tmp_path / "a")
    fresh().train(2, output_dir=tmp_path / "b")
    resumed = fresh()
    resumed.train(3, output_dir=tmp_path / "b", resume_from=tmp_path / "b")
    for (name, a), (_, b) in zip(straight.model.state_dict().items(),
                                 resumed.model.state_dict().items(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), name
