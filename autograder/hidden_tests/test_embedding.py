"""Hidden tests of TODO-2-1 (``TokenEmbedding.__init__``) and TODO-2-2 (``forward``)."""

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
    reference_module_run,
)
from ner_helpers.embedding import TokenEmbedding

GROUP = "embedding"
CTOR = {"vocab_size": 12, "embedding_dim": 6, "padding_idx": 0}
CTOR_PAD3 = {"vocab_size": 9, "embedding_dim": 4, "padding_idx": 3}
IDS = torch.tensor([[5, 2, 7, 0, 0], [1, 11, 4, 9, 3]])
IDS_PAD3 = torch.tensor([[3, 3, 1, 2], [4, 5, 3, 8]])


def call(student: Any, ctor: dict[str, Any], ids: torch.Tensor,
         state: dict[str, torch.Tensor] | None = None) -> dict[str, Any]:
    return student.call(GROUP, "module", module="embedding", class_name="TokenEmbedding",
                        ctor=ctor, state=state, inputs=[{"x": ids}], hooks=[], backward=True,
                        init_weights=True)


def what(ctor: dict[str, Any]) -> str:
    return "TokenEmbedding(" + ", ".join(f"{k}={v}" for k, v in ctor.items()) + ")"


@pytest.fixture(scope="module")
def plain(student: Any) -> dict[str, Any]:
    return call(student, CTOR, IDS)


@pytest.fixture(scope="module")
def pad3(student: Any) -> dict[str, Any]:
    return call(student, CTOR_PAD3, IDS_PAD3)


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
def test_padding_row_no_gradient(plain: dict[str, Any], pad3: dict[str, Any]) -> None:
    for ctor, ids, report in ((CTOR, IDS, plain), (CTOR_PAD3, IDS_PAD3, pad3)):
        runs = module_runs(report, what(ctor))
        grad = runs[0]["grads"].get("embedding.weight")
        check(grad is not None, f"{what(ctor)}: no gradient reached embedding.weight")
        grad = expect_tensor(grad, f"{what(ctor)}: the gradient of embedding.weight")
        pad = ctor["padding_idx"]
        check(bool((grad[pad] == 0).all()), f"{what(ctor)}: the padding row {pad} received a "
              "gradient; tell the embedding layer which index is padding")
        used = sorted({int(i) for i in ids.flatten()} - {pad})
        check(bool((grad[used].abs().sum(dim=1) > 0).all()),
              f"{what(ctor)}: rows of tokens in the input received no gradient")


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
