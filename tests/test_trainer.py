"""The trainer: epoch loops (TODO-3-1, TODO-3-2), clipping, logging, resume, selection."""

import json

import pytest
import torch

from ner_helpers.collator import DataCollator
from ner_helpers.constants import NER_ENCODING_MAP
from ner_helpers.errors import KitError
from ner_helpers.model_config import ModelConfig
from ner_helpers.predictor import NERPredictor
from ner_helpers.tokenizer import Tokenizer
from ner_helpers.trainer import (
    Trainer,
    average_states,
    balanced_class_weights,
    latest_checkpoint,
)

ROWS = [
    {"text": ["Alice", "visited", "Paris", "today"], "NER": ["B-PER", "O", "B-LOC", "O"]},
    {"text": ["Bob", "works", "at", "Acme", "Corp"], "NER": ["B-PER", "O", "O", "B-ORG", "I-ORG"]},
    {"text": ["Paris", "is", "nice"], "NER": ["B-LOC", "O", "O"]},
    {"text": ["Carol", "met", "Bob"], "NER": ["B-PER", "O", "B-PER"]},
    {"text": ["Acme", "Corp", "hired", "Alice"], "NER": ["B-ORG", "I-ORG", "O", "B-PER"]},
] * 4


def make_trainer(model_type="ffnn", seed=0, optimizer="adam", lr=0.05, **kwargs):
    tokenizer = Tokenizer().train(ROWS, min_freq=1, remove_frac=0.0)
    torch.manual_seed(seed)
    model = NERPredictor(ModelConfig(model_type, vocab_size=tokenizer.vocab_size,
                                     embedding_dim=8, hidden_dim=8, num_layers=2))
    opt_class = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    settings = {"batch_size": 4, "device": "cpu", "seed": seed, "show_progress": False}
    settings.update(kwargs)
    return Trainer(model, opt_class(model.parameters(), lr=lr), DataCollator(tokenizer), ROWS,
                   ROWS[:5], **settings)


def params(model):
    return torch.cat([p.detach().flatten().clone() for p in model.parameters()])


def test_training_lowers_the_loss_and_learns_the_tags():
    trainer = make_trainer("rnn")
    history = trainer.train(12)
    assert history[-1]["train"]["loss"] < history[0]["train"]["loss"] / 3
    assert trainer.best_score > 0.9


def test_train_epoch_uses_train_mode_and_eval_epoch_changes_nothing():
    trainer = make_trainer()
    modes = []
    trainer.model.register_forward_pre_hook(lambda m, _: modes.append((m.training,
                                                                        torch.is_grad_enabled())))
    trainer._train_epoch()
    assert modes and all(mode == (True, True) for mode in modes)
    modes.clear()
    before = params(trainer.model)
    scores = trainer._eval_epoch()
    assert modes and all(mode == (False, False) for mode in modes)
    assert torch.equal(before, params(trainer.model))
    assert {"loss", "weighted_f1", "micro_f1", "per_type", "token_accuracy"} <= set(scores)


def test_gradient_clipping_bounds_each_step():
    trainer = make_trainer(optimizer="sgd", lr=1.0, grad_clip_max_norm=1e-3, batch_size=len(ROWS))
    before = params(trainer.model)
    trainer._train_epoch()  # one batch: one SGD step of the clipped gradient
    assert torch.linalg.vector_norm(params(trainer.model) - before) == pytest.approx(1e-3, rel=1e-3)


def test_eval_scores_do_not_depend_on_the_batch_size():
    one, many = make_trainer(batch_size=1), make_trainer(batch_size=5)
    a, b = one._eval_epoch(), many._eval_epoch()
    assert a["weighted_f1"] == b["weighted_f1"]
    assert a["loss"] == pytest.approx(b["loss"], rel=1e-5)


def test_metrics_log_checkpoints_and_best_epoch(tmp_path):
    trainer = make_trainer()
    trainer.train(3, output_dir=tmp_path)
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2, 3]
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "epoch_001.pt", "epoch_002.pt", "epoch_003.pt"]
    best = max(lines, key=lambda line: line["val"]["weighted_f1"])
    assert trainer.best_epoch == best["epoch"]
    assert trainer._eval_epoch()["weighted_f1"] == pytest.approx(best["val"]["weighted_f1"])


def test_resume_gives_the_same_model_as_an_uninterrupted_run(tmp_path):
    straight = make_trainer("rnn")
    straight.train(3, output_dir=tmp_path / "a")

    interrupted = make_trainer("rnn")
    interrupted.train(2, output_dir=tmp_path / "b")
    resumed = make_trainer("rnn")
    resumed.train(3, output_dir=tmp_path / "b", resume_from=tmp_path / "b")

    assert torch.equal(params(straight.model), params(resumed.model))
    logged = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in logged] == [1, 2, 3]
    assert latest_checkpoint(tmp_path / "b").name == "epoch_003.pt"


def test_class_weights_are_indexed_by_tag_id():
    weights = balanced_class_weights(ROWS)
    counts = {tag: sum(row["NER"].count(tag) for row in ROWS) for tag in NER_ENCODING_MAP}
    total = sum(len(row["NER"]) for row in ROWS)
    for tag in ("O", "B-PER", "I-ORG"):
        assert weights[NER_ENCODING_MAP[tag]] == pytest.approx(total / (9 * counts[tag]))
    assert weights[NER_ENCODING_MAP["I-MISC"]] == 1.0
    trainer = make_trainer(use_class_weights=True)
    assert torch.equal(trainer.loss_fn.weight, weights)


def test_same_seed_same_run():
    a, b = make_trainer(seed=3), make_trainer(seed=3)
    a.train(2)
    b.train(2)
    assert torch.equal(params(a.model), params(b.model))


def test_average_states_means_floats_and_keeps_the_last_integers():
    first = {"w": torch.tensor([1.0, 2.0]), "count": torch.tensor(1)}
    second = {"w": torch.tensor([3.0, 6.0]), "count": torch.tensor(2)}
    averaged = average_states([first, second])
    assert torch.equal(averaged["w"], torch.tensor([2.0, 4.0]))
    assert averaged["count"].item() == 2


def checkpoint_weights(folder, epoch):
    path = folder / "checkpoints" / f"epoch_{epoch:03d}.pt"
    return torch.load(path, weights_only=True)["model"]


def test_averaging_scores_and_keeps_the_mean_of_the_last_epochs(tmp_path):
    trainer = make_trainer("rnn", lr=0.02, average_last_epochs=2)
    history = trainer.train(4, output_dir=tmp_path)
    for epoch in (2, 3, 4):
        mean = average_states([checkpoint_weights(tmp_path, epoch - 1),
                               checkpoint_weights(tmp_path, epoch)])
        trainer.model.load_state_dict(mean)
        assert trainer._eval_epoch()["weighted_f1"] == pytest.approx(
            history[epoch - 1]["val"]["weighted_f1"])
    best = trainer.best_epoch
    expected = (average_states([checkpoint_weights(tmp_path, best - 1),
                                checkpoint_weights(tmp_path, best)])
                if best > 1 else checkpoint_weights(tmp_path, 1))
    for name, value in expected.items():
        assert torch.allclose(trainer.best_state[name], value)


def test_averaging_does_not_change_the_training_path(tmp_path):
    plain = make_trainer("rnn", lr=0.02)
    plain.train(3, output_dir=tmp_path / "plain")
    averaged = make_trainer("rnn", lr=0.02, average_last_epochs=2)
    averaged.train(3, output_dir=tmp_path / "averaged")
    latest_plain = checkpoint_weights(tmp_path / "plain", 3)
    latest_averaged = checkpoint_weights(tmp_path / "averaged", 3)
    assert all(torch.equal(latest_plain[name], latest_averaged[name]) for name in latest_plain)


def test_resume_with_averaging_matches_an_uninterrupted_run(tmp_path):
    straight = make_trainer("rnn", lr=0.02, average_last_epochs=3)
    straight.train(4, output_dir=tmp_path / "a")
    make_trainer("rnn", lr=0.02, average_last_epochs=3).train(2, output_dir=tmp_path / "b")
    resumed = make_trainer("rnn", lr=0.02, average_last_epochs=3)
    resumed.train(4, output_dir=tmp_path / "b", resume_from=tmp_path / "b")
    assert torch.equal(params(straight.model), params(resumed.model))
    assert [entry["val"] for entry in straight.history] == [
        entry["val"] for entry in resumed.history]


def test_averaging_needs_at_least_one_epoch():
    with pytest.raises(KitError, match="average_last_epochs"):
        make_trainer(average_last_epochs=0)
