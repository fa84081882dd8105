"""Hidden tests of TODO-7-1 (``CNNTagger.forward``, the masked forward pass).

The constructor is provided. ``forward`` is judged around the grader's own layers
(``convs``, ``V`` and the activations ``f``, built by the harness from the grader's
values), so only the forward pass is graded. Outputs and gradients must equal the
reference's on the same layers, embeddings and padding masks. The docstring states
the contract: zero the padded positions before every convolution, ``f[k]`` after
``convs[k]``, ``V`` last, logits ``[B, L, O]``; a mask is nonzero (1 or True) at padded
positions and ``None`` means no padding. Whether the padding is zeroed by a
multiplication, ``masked_fill`` or indexing, and in which layout, is not checked.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    InternalError,
    check,
    compare_gradients,
    expect_equal,
    expect_tensor,
    module_runs,
    random_state,
    random_tensor,
    reference_module_run,
)
from autograder.sandbox.child.module_harness import layer_spec
from ner_helpers.cnn import CNNTagger

GROUP = "cnn"
SIZES = {"embedding_dim": 6, "hidden_dim": 5, "output_dim": 3}
X = random_tensor([3, 6, 6], seed=71)
#: Real tokens per sentence of X: 6, 4 and 2, the rest padding (1 at padded positions).
LENGTHS = (6, 4, 2)
MASK = (torch.arange(6)[None, :] >= torch.tensor(LENGTHS)[:, None]).long()
#: The slopes of the PReLUs that stand in for self.f[k] in test_hidden_activations.
SLOPES = (0.25, -0.5, 0.1)


def ctor(num_layers: int, kernel_size: int) -> dict[str, Any]:
    return {**SIZES, "num_layers": num_layers, "kernel_size": kernel_size}


def what(num_layers: int, kernel_size: int) -> str:
    return f"CNNTagger(6, 5, 3, num_layers={num_layers}, kernel_size={kernel_size})"


def garbage(seed: int) -> torch.Tensor:
    """X with large random values at its padded positions."""
    noise = random_tensor(list(X.shape), seed=seed) * 20
    return torch.where(MASK.bool().unsqueeze(-1), noise, X)


def run(student: Any, num_layers: int, kernel_size: int, inputs: list[dict[str, Any]],
        backward: bool = False, activations: tuple[Any, ...] | None = None
        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(student report, reference report): the forward around the grader's layers."""
    sizes = ctor(num_layers, kernel_size)
    state = random_state(CNNTagger, sizes, seed=200 + 10 * num_layers + kernel_size)
    layers = layer_spec(state, "cnn", activations or ("relu",) * num_layers)
    plan = {"ctor": sizes, "layers": layers, "inputs": inputs, "backward": backward}
    report = student.call(GROUP, "module", module="cnn", class_name="CNNTagger", plan=plan)
    return report, reference_module_run(CNNTagger, plan)


def compare(student: Any, num_layers: int, kernel_size: int, inputs: list[dict[str, Any]],
            hint: str, activations: tuple[Any, ...] | None = None) -> None:
    report, reference = run(student, num_layers, kernel_size, inputs, activations=activations)
    name = what(num_layers, kernel_size)
    found, wanted = module_runs(report, name), module_runs(reference, "reference")
    for item, result, expected in zip(inputs, found, wanted, strict=True):
        mask = item.get("padding_mask")
        detail = "without a padding mask" if mask is None else "with a padding mask"
        expect_equal(result["out"], expected["out"], f"{name} output for embeddings of shape "
                     f"{list(item['x'].shape)} {detail}", hint, close=True)


@pytest.mark.todo("TODO-7-1")
def test_output_shape(student: Any) -> None:
    report, _ = run(student, 2, 3, [{"x": X, "padding_mask": MASK}])
    expect_tensor(module_runs(report, what(2, 3))[0]["out"], f"{what(2, 3)} output for "
                  f"embeddings of shape {list(X.shape)}", dtype=torch.float32, shape=[3, 6, 3])


@pytest.mark.todo("TODO-7-1")
def test_matches_reference_without_padding(student: Any) -> None:
    compare(student, 1, 3, [{"x": X, "padding_mask": None}],
            "move the channels to dim 1 for nn.Conv1d, apply convs[0] and f[0], move them "
            "back and apply V; logits without softmax")


@pytest.mark.todo("TODO-7-1")
def test_matches_reference_many_layers(student: Any) -> None:
    compare(student, 3, 5, [{"x": X, "padding_mask": torch.zeros_like(MASK)}],
            "every convolution of self.convs in order, each followed by its f[k], then V")


@pytest.mark.todo("TODO-7-1")
def test_padding_zeroed_before_every_convolution(student: Any) -> None:
    compare(student, 2, 3, [{"x": X, "padding_mask": MASK}],
            "set the padded positions to zero before every convolution, the first and the "
            "later ones, so that no real position reads padding")


@pytest.mark.todo("TODO-7-1")
def test_padding_garbage_never_reaches_real_positions(student: Any) -> None:
    inputs = [{"x": garbage(seed), "padding_mask": MASK} for seed in (72, 73)]
    report, reference = run(student, 2, 5, inputs)
    wanted = module_runs(reference, "reference")
    real = ~MASK.bool()
    if not torch.allclose(wanted[0]["out"][real], wanted[1]["out"][real]):
        raise InternalError("the reference's outputs at real positions depend on padding")
    name = what(2, 5)
    found = module_runs(report, name)
    first = expect_tensor(found[0]["out"], f"{name} output", shape=[3, 6, 3])
    second = expect_tensor(found[1]["out"], f"{name} output", shape=[3, 6, 3])
    same = torch.isclose(first, second, atol=1e-5).all(dim=-1) | ~real
    position = tuple(int(i) for i in (~same).nonzero()[0]) if not bool(same.all()) else None
    check(position is None, f"{name}: different values at the padded positions of the same "
          f"embeddings changed the output at the real position {position} (sentence, token); "
          "zero the padded positions before every convolution")
    expect_equal(first, wanted[0]["out"], f"{name} output with values at padded positions",
                 "zero the padded positions before every convolution", close=True)


@pytest.mark.todo("TODO-7-1")
def test_boolean_mask(student: Any) -> None:
    compare(student, 2, 3, [{"x": X, "padding_mask": MASK.bool()}],
            "the padding mask may be a BoolTensor: True (nonzero) at padded positions")


@pytest.mark.todo("TODO-7-1")
def test_hidden_activations(student: Any) -> None:
    compare(student, 3, 3, [{"x": X, "padding_mask": MASK}],
            "apply the provided self.f[k] once, after self.convs[k]", activations=SLOPES)


@pytest.mark.todo("TODO-7-1")
def test_gradients_match_reference(student: Any) -> None:
    report, reference = run(student, 2, 3, [{"x": X, "padding_mask": MASK}], backward=True)
    compare_gradients(module_runs(report, what(2, 3))[0], module_runs(reference, "reference")[0],
                      what(2, 3), "the gradient must flow back through every convolution; do "
                      "not detach the hidden activations")


@pytest.mark.todo("TODO-7-1")
def test_edge_sizes(student: Any) -> None:
    inputs = [{"x": X[:1], "padding_mask": MASK[:1]}, {"x": X[:, :1], "padding_mask": MASK[:, :1]},
              {"x": X[:1, :1], "padding_mask": None}]
    compare(student, 2, 3, inputs, "a batch of one sentence and a one-token sentence keep "
            "their dimensions: [B, L, D] -> [B, L, O]")
