"""Training on a CUDA GPU: the path Colab users take.

These tests need a GPU and are skipped without one; run them on a GPU host with
``pytest tests/test_cuda.py``. They use the bundled sample corpus, so they need
no shared data.
"""

import json

import pytest
import torch

from ner_helpers.collator import DataCollator
from ner_helpers.config import kit_config, resolve_path
from ner_helpers.data.conll_reader import read_conll_file
from ner_helpers.experiment import build_predictor, build_trainer
from ner_helpers.predictions import predict_rows
from ner_helpers.tokenizer import Tokenizer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")



def sample_rows(split):
    """The bundled sample corpus's ``split`` as rows of the kit's format."""
    folder = resolve_path(kit_config()["paths"]["sample_source"])
    rows, position = [], 0
    for sentence in read_conll_file(folder / f"{split}.txt", split).sentences:
        size = len(sentence.tokens)
        rows.append({"text": sentence.tokens, "NER": sentence.tags,
                     "index": list(range(position, position + size))})
        position += size
    return rows


def config(model_type, device):
    return {"seed": 5, "device": device,
            "model": {"model_type": model_type, "embedding_dim": 16, "hidden_dim": 16,
                      "num_layers": 2, "rare_word_dropout": 0.5, "embedding_dropout": 0.1},
            "training": {"epochs": 3, "batch_size": 8, "lr": 0.01, "grad_clip_max_norm": 1.0,
                         "use_class_weights": True, "average_last_epochs": 2}}


@pytest.mark.parametrize("model_type", ["ffnn", "rnn"])
def test_training_runs_on_the_gpu_and_saves_cpu_weights(model_type, tmp_path):
    train, val = sample_rows("train"), sample_rows("val")
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


def test_resume_on_the_gpu_matches_an_uninterrupted_run(tmp_path):
    train, val = sample_rows("train"), sample_rows("val")
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
