"""The context-window and CNN taggers: shapes, context, that padding never leaks, and
both (one with pretrained vectors) through the kit's commands.

The leak tests put different garbage into the padded positions of the same batch
(and into its padded token ids) and require identical outputs at every real
position, for every window and kernel size tried; and a sentence padded in a batch
must get the outputs it gets alone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from ner_helpers.cli.main import main
from ner_helpers.cnn import CNNTagger
from ner_helpers.errors import KitError
from ner_helpers.model_config import ModelConfig
from ner_helpers.predictor import NERPredictor
from ner_helpers.tokenizer import Tokenizer
from ner_helpers.window import WindowTagger, window_features

ROOT = Path(__file__).resolve().parents[1]
LENGTHS = [7, 3, 5, 1]          # real tokens per sentence; the batch is padded to 7
D, H, OUT = 6, 5, 4


def padding_mask() -> torch.Tensor:
    """[B, L] LongTensor, 1 at padded positions (the collator's convention)."""
    positions = torch.arange(max(LENGTHS))
    return (positions[None, :] >= torch.tensor(LENGTHS)[:, None]).long()


def with_garbage(embeddings: torch.Tensor, mask: torch.Tensor, seed: int) -> torch.Tensor:
    """``embeddings`` with large random values at the padded positions."""
    garbage = torch.randn(embeddings.shape, generator=torch.Generator().manual_seed(seed)) * 50
    return torch.where(mask.bool().unsqueeze(-1), garbage, embeddings)


def assert_real_positions_ignore_padding(model: torch.nn.Module, sees_neighbours: bool) -> None:
    model.eval()
    mask = padding_mask()
    clean = torch.randn(len(LENGTHS), max(LENGTHS), D, generator=torch.Generator().manual_seed(0))
    outputs = [model(with_garbage(clean, mask, seed), mask) for seed in (1, 2, 3)]
    real = ~mask.bool()
    for other in outputs[1:]:
        assert torch.equal(outputs[0][real], other[real])
    if sees_neighbours:  # the garbage would leak without the mask: the test can see a leak
        unmasked = [model(with_garbage(clean, mask, seed), None) for seed in (1, 2)]
        assert not torch.equal(unmasked[0][real], unmasked[1][real])
    # each sentence alone, unpadded, gets the same outputs at its tokens
    for row, length in enumerate(LENGTHS):
        alone = model(clean[row:row + 1, :length], None)
        torch.testing.assert_close(outputs[0][row, :length], alone[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kernel_size", [1, 3, 5, 7, 9])
@pytest.mark.parametrize("num_layers", [1, 3])
def test_cnn_padding_never_reaches_real_positions(kernel_size, num_layers):
    torch.manual_seed(kernel_size * 10 + num_layers)
    assert_real_positions_ignore_padding(CNNTagger(D, H, OUT, num_layers, kernel_size),
                                         kernel_size > 1)


@pytest.mark.parametrize("window", [0, 1, 2, 4, 8])
@pytest.mark.parametrize("combine", ["concat", "mean"])
def test_window_padding_never_reaches_real_positions(window, combine):
    torch.manual_seed(window)
    assert_real_positions_ignore_padding(WindowTagger(D, H, OUT, 2, window, combine), window > 0)


@pytest.mark.parametrize("model_type,extra", [("cnn", {"kernel_size": 5, "num_layers": 2}),
                                              ("window", {"window": 3}),
                                              ("window", {"window_combine": "mean"})])
def test_predictor_outputs_at_real_tokens_do_not_depend_on_the_batch(model_type, extra):
    """Through the embedding: a sentence batched with longer ones (so padded) gets the
    logits it gets alone, also after the padding row of the table is corrupted."""
    torch.manual_seed(0)
    predictor = NERPredictor(ModelConfig(model_type=model_type, vocab_size=30, embedding_dim=D,
                                         hidden_dim=H, **extra)).eval()
    ids = torch.randint(2, 30, (len(LENGTHS), max(LENGTHS)))
    ids[padding_mask().bool()] = 0
    batched = predictor(ids)
    with torch.no_grad():
        predictor.embedding.embedding.weight[0] = 100.0
    corrupted = predictor(ids)
    for row, length in enumerate(LENGTHS):
        alone = predictor(ids[row:row + 1, :length])[0]
        torch.testing.assert_close(batched[row, :length], alone, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(corrupted[row, :length], alone, atol=1e-5, rtol=1e-5)


def test_cnn_sees_exactly_its_receptive_field():
    """Two layers of width 3: token t depends on t-2..t+2 and on nothing further."""
    torch.manual_seed(0)
    model = CNNTagger(D, H, OUT, num_layers=2, kernel_size=3).eval()
    x = torch.randn(1, 9, D)
    changed = x.clone()
    changed[0, 4] += 1.0
    moved = (model(x) - model(changed)).abs().sum(-1)[0] > 0
    assert moved.tolist() == [False, False, True, True, True, True, True, False, False]


def test_window_features_concatenate_neighbours_in_order():
    x = torch.arange(1, 4, dtype=torch.float32).reshape(1, 3, 1)  # tokens 1, 2, 3
    concat = window_features(x, None, 1, "concat")
    assert concat[0].tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 0]]
    mean = window_features(x, torch.tensor([[0, 0, 1]]), 1, "mean")
    assert mean[0, :2, 0].tolist() == [1.5, 1.5]   # the padded token 3 is not averaged


def test_shapes_parameters_and_edge_sizes():
    model = CNNTagger(10, 5, 2, num_layers=2, kernel_size=3)
    assert sum(p.numel() for p in model.parameters()) == 247
    for shape in ([1, 4, 10], [3, 1, 10], [1, 1, 10]):
        assert model(torch.randn(shape)).shape == (*shape[:2], 2)
    window = WindowTagger(10, 5, 2, num_layers=1, window=2)
    assert window.W.in_features == 50
    assert WindowTagger(10, 5, 2, window=2, combine="mean").W.in_features == 10
    assert window(torch.randn(2, 3, 10)).shape == (2, 3, 2)


@pytest.mark.parametrize("settings,problem", [({"kernel_size": 4}, "kernel_size must be an odd"),
                                              ({"window": -1}, "window must be"),
                                              ({"window_combine": "max"}, "concat or mean"),
                                              ({"missing_vectors": "ones"}, "missing_vectors")])
def test_bad_settings_are_kit_errors(settings, problem):
    with pytest.raises(KitError, match=problem):
        ModelConfig(model_type="cnn", vocab_size=10, **settings)


def ner_kit(*args: str) -> int:
    """``ner-kit ARGS`` in this process (the working directory is the project)."""
    return main(list(args))


@pytest.fixture
def sample_project(tmp_path, monkeypatch) -> Path:
    """A project folder with the bundled sample corpus built and its tokenizer trained."""
    shutil.copytree(ROOT / "dataset" / "sample", tmp_path / "dataset" / "sample")
    monkeypatch.chdir(tmp_path)
    assert ner_kit("data", "--no-progress") == 0
    assert ner_kit("tokenizer") == 0
    return tmp_path


def glove_file(path: Path, tokenizer: Tokenizer, dim: int) -> list[str]:
    """A GloVe file for half the vocabulary (every third word lowercased); its lines."""
    words = [w for w in tokenizer.token2id if not w.startswith("<|")]
    generator = torch.Generator().manual_seed(0)
    lines = [f"{w.lower() if i % 3 else w} " + " ".join(
        f"{v:.4f}" for v in torch.randn(dim, generator=generator).tolist())
        for i, w in enumerate(words[: len(words) // 2])]
    path.write_text("\n".join(lines) + "\n")
    return lines


@pytest.mark.slow
def test_taggers_and_vectors_through_the_commands(sample_project, capsys):
    """The window and CNN taggers train, save, predict and score with the commands the
    FFNN and RNN use; the CNN starts from a vectors file (frozen): the coverage report
    is printed and saved, and its rows keep the file's values; a broken vectors file
    stops with one located line, exit 2, and leaves no experiment."""
    experiments = sample_project / "artefacts" / "experiments"
    tokenizer = Tokenizer.load(sample_project / "artefacts" / "tokenizer.json")
    vectors = sample_project / "glove.16d.txt"
    lines = glove_file(vectors, tokenizer, 16)
    small = ["--epochs", "1", "--max-train", "300", "--max-val", "100", "--no-progress",
             "--set", "model.hidden_dim=16"]
    assert ner_kit("train", "--config", "window", *small, "--set", "model.embedding_dim=16") == 0
    capsys.readouterr()
    assert ner_kit("train", "--config", "cnn", *small,
                   "--set", f"model.pretrained_vectors={vectors}",
                   "--set", "model.embedding_dim=null",
                   "--set", "model.freeze_embeddings=true") == 0
    printed = capsys.readouterr().out
    assert "vector coverage" in printed and "lowercase" in printed
    coverage = json.loads((experiments / "cnn" / "vectors_coverage.json").read_text())
    assert coverage["dim"] == 16 and coverage["by_token"]["missing"] > 0
    assert coverage["by_token"]["exact"] > 0 and coverage["by_token"]["lowercase"] > 0
    weights = torch.load(experiments / "cnn" / "model" / "weights.pt", weights_only=True)
    first = lines[0].split(" ")
    assert weights["embedding.embedding.weight"][tokenizer.token2id[first[0]]].tolist() == \
        pytest.approx([float(v) for v in first[1:]], abs=1e-4)

    for model in ("window", "cnn"):
        folder = experiments / model
        assert json.loads((folder / "model" / "config.json").read_text())["model_type"] == model
        out = sample_project / f"{model}.json"
        assert ner_kit("predict", "--experiment", model, "--out", str(out)) == 0
        assert (json.loads(out.read_text())
                == json.loads((folder / "test_predictions.json").read_text()))
        capsys.readouterr()
        assert ner_kit("score", str(folder / "test_predictions.json"), "--json") == 0
        assert 0.0 <= json.loads(capsys.readouterr().out)["weighted_f1"] <= 1.0

    broken = sample_project / "bad.txt"
    broken.write_text(lines[0] + "\n" + lines[1].rsplit(" ", 1)[0] + "\n")
    assert ner_kit("train", "--config", "cnn", "--name", "bad", *small,
                   "--set", f"model.pretrained_vectors={broken}",
                   "--set", "model.embedding_dim=null") == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: {broken}:2: the row of {lines[1].split(' ')[0]!r} has 15 values, the first "
        "row (line 1) has 16"]
    assert not (experiments / "bad").exists()
