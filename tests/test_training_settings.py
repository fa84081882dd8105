"""The speed settings of an experiment config: length-grouped batches, fused Adam and
denormal floats."""

import os
import subprocess
import sys

import pytest
import torch

from ner_helpers.batching import LengthGroupedBatchSampler
from ner_helpers.collator import DataCollator
from ner_helpers.config import apply_overrides, load_config
from ner_helpers.experiment import build_optimizer, build_trainer
from ner_helpers.model_config import ModelConfig
from ner_helpers.predictor import NERPredictor
from ner_helpers.tokenizer import Tokenizer

ROWS = [{"text": ["w"] * n, "NER": ["O"] * n} for n in (1, 7, 3, 12, 2, 9, 4, 4, 30, 5)] * 3


def trainer_for(training):
    tokenizer = Tokenizer().train(ROWS, min_freq=1, remove_frac=0.0)
    model = NERPredictor(ModelConfig("ffnn", vocab_size=tokenizer.vocab_size, embedding_dim=4,
                                     hidden_dim=4, num_layers=1))
    config = {"seed": 1, "device": "cpu", "training": training}
    return build_trainer(config, model, DataCollator(tokenizer), ROWS, None, show_progress=False)


@pytest.mark.parametrize("name", ["ffnn", "rnn"])
def test_bundled_configs_name_the_batching_and_fuse_adam(name):
    training = load_config(name)["training"]
    assert isinstance(training["group_by_length"], bool)
    assert training["group_chunk_batches"] >= 1
    assert training["fused_optimizer"] is True


@pytest.mark.parametrize("name", ["ffnn", "rnn"])
def test_the_notebook_trains_with_the_configs_batches(name):
    """The models a student submits from the notebook train as `ner-kit train` trains them."""
    config = apply_overrides(load_config(name), load_config("notebook")["batching"]["overrides"])
    assert config["training"] == load_config(name)["training"]


def test_config_turns_grouping_on_and_off():
    grouped = trainer_for({"batch_size": 4, "group_by_length": True, "group_chunk_batches": 3})
    assert isinstance(grouped.train_loader.batch_sampler, LengthGroupedBatchSampler)
    assert grouped.train_loader.batch_sampler.chunk_batches == 3
    plain = trainer_for({"batch_size": 4})
    assert not isinstance(plain.train_loader.batch_sampler, LengthGroupedBatchSampler)


def test_fused_adam_is_chosen_by_config_and_matches_the_plain_update():
    torch.manual_seed(0)
    plain_model = torch.nn.Linear(6, 3)
    fused_model = torch.nn.Linear(6, 3)
    fused_model.load_state_dict(plain_model.state_dict())
    plain = build_optimizer(plain_model, {"lr": 0.01})
    fused = build_optimizer(fused_model, {"lr": 0.01, "fused_optimizer": True})
    assert fused.defaults["fused"] is True and not plain.defaults.get("fused")
    inputs = torch.randn(5, 6)
    for _ in range(4):
        for model, optimizer in ((plain_model, plain), (fused_model, fused)):
            optimizer.zero_grad()
            model(inputs).square().sum().backward()
            optimizer.step()
    for a, b in zip(plain_model.parameters(), fused_model.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_fused_setting_is_ignored_by_sgd():
    optimizer = build_optimizer(torch.nn.Linear(2, 2), {"optimizer": "sgd",
                                                       "fused_optimizer": True})
    assert not optimizer.defaults.get("fused")


@pytest.mark.parametrize("setting, flushed", [(None, True), (True, True), (False, False)])
def test_denormal_floats_are_flushed_unless_the_config_says_not(setting, flushed):
    training = {} if setting is None else {"flush_denormals": setting}
    try:
        trainer_for(training)
        tiny = torch.tensor([1e-39], dtype=torch.float32) * 1.0  # a denormal float32
        assert (float(tiny[0]) == 0.0) is flushed
    finally:
        torch.set_flush_denormal(False)


# A fresh interpreter with two torch threads: imports the kit, computes (a program
# builds its data and model before it trains), applies the default training
# settings, and prints whether every thread flushes denormals and how many
# warnings came.
FLUSH_PROBE = """
import warnings
import torch
torch.set_num_threads(2)
{before_import}
from ner_helpers.experiment import apply_number_settings
from ner_helpers.numerics import all_threads_flush
torch.ones(1 << 20) * 2.0
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    apply_number_settings({{}})
print(all_threads_flush(), len(caught))
"""


@pytest.mark.parametrize("before_import, expected", [
    ("", "True 0"),
    # torch starts its worker threads before the kit is imported: they never flush,
    # which torch.set_flush_denormal in the training run alone cannot change.
    ("torch.ones(1 << 20) * 2.0", "False 1"),
])
def test_worker_threads_flush_denormals_when_the_kit_is_imported_first(before_import,
                                                                        expected):
    probe = FLUSH_PROBE.format(before_import=before_import)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "OMP_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == expected
