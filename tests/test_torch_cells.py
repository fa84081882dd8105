"""PyTorch's recurrent cells in the model registry: padding never reaches a real position."""

from __future__ import annotations

import pytest
import torch

from ner_helpers.errors import KitError
from ner_helpers.experiment import build_optimizer
from ner_helpers.model_config import ModelConfig
from ner_helpers.predictor import NERPredictor

CELL_SETTINGS = [("rnn", False), ("torch-rnn", False), ("torch-rnn", True), ("gru", False),
                 ("gru", True), ("lstm", False), ("lstm", True)]


def predictor(cell: str, bidirectional: bool, num_layers: int = 2) -> NERPredictor:
    torch.manual_seed(0)
    config = ModelConfig(model_type="rnn", vocab_size=50, embedding_dim=8, hidden_dim=6,
                         num_layers=num_layers, cell=cell, bidirectional=bidirectional)
    return NERPredictor(config).eval()


@pytest.mark.parametrize(("cell", "bidirectional"), CELL_SETTINGS)
def test_padding_does_not_change_real_positions(cell, bidirectional):
    model = predictor(cell, bidirectional)
    sentence = torch.tensor([[5, 9, 13, 2, 7]])
    alone = model(sentence)[0]  # [5, O]
    # The same sentence in a batch beside a longer one, so it gets 4 pad positions.
    batch = torch.tensor([[5, 9, 13, 2, 7, 0, 0, 0, 0],
                          [3, 4, 5, 6, 7, 8, 9, 10, 11]])
    padded = model(batch)
    assert padded.shape == (2, 9, 9)
    torch.testing.assert_close(padded[0, :5], alone, rtol=1e-5, atol=1e-6)
    # The longer sentence is unchanged by its short neighbour too.
    torch.testing.assert_close(padded[1], model(batch[1:])[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("cell", "bidirectional"), CELL_SETTINGS[1:])
def test_backward_direction_reads_the_future(cell, bidirectional):
    """A bidirectional cell's output at position 0 depends on later tokens; a
    left-to-right one does not."""
    model = predictor(cell, bidirectional)
    first = model(torch.tensor([[5, 9, 13]]))[0, 0]
    changed = model(torch.tensor([[5, 9, 14]]))[0, 0]
    assert (not torch.allclose(first, changed)) == bidirectional


def test_cells_save_load_and_share_the_embedding_and_head(tmp_path):
    model = predictor("lstm", True, num_layers=1)
    names = {name.split(".")[0] for name, _ in model.named_parameters()}
    assert names == {"embedding", "model"}
    assert model.model.V.in_features == 12  # two directions of 6
    model.save(tmp_path)
    again = NERPredictor.load(tmp_path).eval()
    ids = torch.tensor([[1, 2, 3, 0]])
    torch.testing.assert_close(again(ids), model(ids))


def test_bad_cell_settings_are_refused():
    with pytest.raises(KitError, match="cell must be one of"):
        ModelConfig(model_type="rnn", vocab_size=5, cell="transformer")
    with pytest.raises(KitError, match="bidirectional needs cell"):
        ModelConfig(model_type="rnn", vocab_size=5, bidirectional=True)
    with pytest.raises(KitError, match="needs model_type 'rnn'"):
        ModelConfig(model_type="ffnn", vocab_size=5, cell="gru")


@pytest.mark.parametrize("name", ["sgd", "sgd-momentum", "adagrad", "rmsprop", "adam", "adamw"])
def test_every_optimizer_takes_a_step(name):
    model = predictor("gru", False)
    optimizer = build_optimizer(model, {"optimizer": name, "lr": 0.01})
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    model(torch.tensor([[1, 2, 3]])).sum().backward()
    optimizer.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    if name == "sgd-momentum":
        assert optimizer.param_groups[0]["momentum"] == 0.9
