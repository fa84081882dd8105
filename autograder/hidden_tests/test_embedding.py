"""Hidden tests of TODO-2-1 (``TokenEmbedding.__init__``) and TODO-2-2 (``forward``).

The ``__init__`` tests judge the layer it makes (called directly, without the
student's ``forward``); the ``forward`` tests that need a correct layer get
torch's ``nn.Embedding`` in place of the student's, so a bug in one TODO does
not cost the other.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    check,
    expect_equal,
    expect_tensor,
    fail,
    module_runs,
    ok,
    random_state,
    random_tensor,
    reference_module_run,
)
from ner_helpers.embedding import TokenEmbedding

GROUP = "embedding"
CTOR = {"vocab_size": 12, "embedding_dim": 6, "padding_idx": 0}
CTOR_PAD3 = {"vocab_size": 9, "embedding_dim": 4, "padding_idx": 3}
IDS = torch.tensor([[5, 2, 7, 0, 0], [1, 11, 4, 9, 3]])
IDS_PAD3 = torch.tensor([[3, 3, 1, 2], [4, 5, 3, 8]])


def call(student: Any, ctor: dict[str, Any], ids: torch.Tensor, backward: bool = True,
         **item: Any) -> dict[str, Any]:
    """Build the student's TokenEmbedding(**ctor), call init_weights() and run it on
    ``ids`` (LongTensor[B, L]); ``item`` adds to the input (see harness.run_module)."""
    return student.call(GROUP, "module", module="embedding", class_name="TokenEmbedding",
                        ctor=ctor, state=None, inputs=[{"x": ids, **item}], hooks=[],
                        backward=backward, init_weights=True)


def what(ctor: dict[str, Any]) -> str:
    return "TokenEmbedding(" + ", ".join(f"{k}={v}" for k, v in ctor.items()) + ")"


@pytest.fixture(scope="module")
def plain(student: Any) -> dict[str, Any]:
    return call(student, CTOR, IDS, backward=False)


@pytest.fixture(scope="module")
def pad3(student: Any) -> dict[str, Any]:
    return call(student, CTOR_PAD3, IDS_PAD3, backward=False)


@pytest.fixture(scope="module")
def layers_only(student: Any) -> list[dict[str, Any]]:
    """The layers made in __init__ called directly (not through forward)."""
    return [call(student, CTOR, IDS, layer="embedding"),
            call(student, CTOR_PAD3, IDS_PAD3, layer="embedding")]


@pytest.fixture(scope="module")
def forward_on_torch_layer(student: Any) -> list[dict[str, Any]]:
    """forward with torch's nn.Embedding (the right padding index) in place of the
    student's layer."""
    reports = []
    for seed, (ctor, ids) in enumerate(((CTOR, IDS), (CTOR_PAD3, IDS_PAD3)), start=22):
        table = random_tensor([ctor["vocab_size"], ctor["embedding_dim"]], seed=seed)
        reports.append(call(student, ctor, ids, embedding={
            "weight": table, "padding_idx": ctor["padding_idx"]}))
    return reports


def check_padding_gradient(report: dict[str, Any], ctor: dict[str, Any], ids: torch.Tensor,
                           name: str, hint: str) -> None:
    """The backward pass of one run reached the used rows of the table but not the pad row."""
    run = module_runs(report, what(ctor))[0]
    check(run.get("requires_grad", True), f"{name} does not require gradients, so nothing "
          "is learned; do not compute it under torch.no_grad() or detach it")
    grad = run["grads"].get("embedding.weight")
    check(grad is not None, f"{name}: no gradient reached embedding.weight")
    grad = expect_tensor(grad, f"{name}: the gradient of embedding.weight")
    pad = ctor["padding_idx"]
    check(bool((grad[pad] == 0).all()), f"{name}: the padding row {pad} received a gradient; "
          + hint)
    used = sorted({int(i) for i in ids.flatten()} - {pad})
    check(bool((grad[used].abs().sum(dim=1) > 0).all()),
          f"{name}: rows of tokens in the input received no gradient")


@pytest.mark.todo("TODO-2-1")
def test_lookup_table(plain: dict[str, Any], pad3: dict[str, Any]) -> None:
    for ctor, report in ((CTOR, plain), (CTOR_PAD3, pad3)):
        ok(report["constructed"], what(ctor))
        info = ok(report["info"], f"inspecting {what(ctor)}")
        layer = info["layers"].get("embedding")
        check(layer is not None, f"{what(ctor)} has no attribute 'embedding'")
        check(layer["type"] == "Embedding",
              f"{what(ctor)}.embedding is a {layer['type']}, expected torch.nn.Embedding")
        shape = [ctor["vocab_size"], ctor["embedding_dim"]]
        check(layer["shape"] == shape, f"{what(ctor)}.embedding has a table of shape "
              f"{layer['shape']}, expected {shape} (vocab_size x embedding_dim)")
        check(layer["padding_idx"] == ctor["padding_idx"],
              f"{what(ctor)}.embedding has padding_idx={layer['padding_idx']}, expected "
              f"{ctor['padding_idx']}")
        names = [name for name, _, _ in info["parameters"]]
        check(names == ["embedding.weight"], f"{what(ctor)} has parameters {names}; expected "
              "exactly one, embedding.weight")


@pytest.mark.todo("TODO-2-1")
def test_padding_row_zero(plain: dict[str, Any], pad3: dict[str, Any]) -> None:
    for ctor, report in ((CTOR, plain), (CTOR_PAD3, pad3)):
        ok(report["constructed"], what(ctor))
        ok(report["init"], f"{what(ctor)}.init_weights()")
        weight = report["after_init"].get("embedding.weight")
        check(weight is not None, f"{what(ctor)} has no parameter embedding.weight")
        row = expect_tensor(weight, f"{what(ctor)}.embedding.weight")[ctor["padding_idx"]]
        check(bool((row == 0).all()), f"{what(ctor)}: after init_weights() the row of the "
              f"padding index {ctor['padding_idx']} must be all zeros")


@pytest.mark.todo("TODO-2-1")
def test_padding_row_no_gradient(layers_only: list[dict[str, Any]]) -> None:
    for ctor, ids, report in zip((CTOR, CTOR_PAD3), (IDS, IDS_PAD3), layers_only):
        check_padding_gradient(report, ctor, ids, f"{what(ctor)}.embedding (the layer called "
                               "directly)", "tell the embedding layer which index is padding")


@pytest.mark.todo("TODO-2-2")
def test_output_shape(plain: dict[str, Any]) -> None:
    runs = module_runs(plain, what(CTOR))
    expect_tensor(runs[0]["out"], f"{what(CTOR)} output for input ids of shape {list(IDS.shape)}",
                  dtype=torch.float32, shape=[*IDS.shape, CTOR["embedding_dim"]])


@pytest.mark.todo("TODO-2-2")
def test_matches_reference(student: Any) -> None:
    state = random_state(TokenEmbedding, CTOR, seed=21)
    expected = module_runs(reference_module_run(TokenEmbedding, CTOR, state, [{"x": IDS}]),
                           "reference")[0]["out"]
    report = student.call(GROUP, "module", module="embedding", class_name="TokenEmbedding",
                          ctor=CTOR, state=state, inputs=[{"x": IDS}], hooks=[])
    runs = module_runs(report, what(CTOR))
    if not runs:
        fail(f"{what(CTOR)} gave no output")
    expect_equal(runs[0]["out"], expected, f"{what(CTOR)} output", "each position holds the "
                 "row of the embedding table for its token id", close=True)


@pytest.mark.todo("TODO-2-2")
def test_padding_gets_no_gradient(forward_on_torch_layer: list[dict[str, Any]]) -> None:
    for ctor, ids, report in zip((CTOR, CTOR_PAD3), (IDS, IDS_PAD3), forward_on_torch_layer):
        check_padding_gradient(report, ctor, ids, f"the output of {what(ctor)}",
                               "call the layer self.embedding, which keeps the padding row "
                               "out of training, instead of indexing its weight")
