"""Hidden tests of TODO-2-1 (``TokenEmbedding.__init__``) and TODO-2-2 (``forward``).

TODO-2-1 is judged on the layer ``self.embedding`` made in ``__init__``, called
directly (never through the student's ``forward``): its parameters, its lookups
and gradients with the grader's table loaded into it, and its padding row after
``init_weights()``. TODO-2-2 is judged on the student's ``forward`` around the
grader's own ``nn.Embedding`` (the right padding index, the grader's table), so
a constructor bug, or a constructor option such as ``max_norm``, costs
TODO-2-1 only. Every verdict compares values the child returns with the
reference run in the grader on the same table and ids.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    check,
    check_structure,
    compare_gradients,
    constructed,
    expect_equal,
    expect_tensor,
    module_runs,
    ok,
    random_state,
    reference_module_run,
)
from autograder.sandbox.child.module_harness import layer_spec
from ner_helpers.embedding import TokenEmbedding

GROUP = "embedding"
CTOR = {"vocab_size": 12, "embedding_dim": 6, "padding_idx": 0}
CTOR_PAD3 = {"vocab_size": 9, "embedding_dim": 4, "padding_idx": 3}
#: Token ids with repeats (a row used twice gets the sum of both positions' gradients).
IDS = torch.tensor([[5, 2, 7, 0, 0], [1, 11, 4, 5, 5]])
IDS_PAD3 = torch.tensor([[3, 3, 1, 2], [4, 5, 3, 8]])
CASES = ((CTOR, IDS), (CTOR_PAD3, IDS_PAD3))
#: Table values large enough that any max_norm a student might pick changes lookups.
TABLE_SCALE = 3.0


def what(ctor: dict[str, Any]) -> str:
    return "TokenEmbedding(" + ", ".join(f"{k}={v}" for k, v in ctor.items()) + ")"


def run(student: Any, plan: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(student report, reference report) of the same plan."""
    report = student.call(GROUP, "module", module="embedding", class_name="TokenEmbedding",
                          plan=plan)
    return report, reference_module_run(TokenEmbedding, plan)


def table(ctor: dict[str, Any], seed: int) -> dict[str, torch.Tensor]:
    return random_state(TokenEmbedding, ctor, seed=seed, scale=TABLE_SCALE)


def own_layer_runs(student: Any, backward: bool) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``self.embedding`` with the grader's table loaded, called directly (with a backward
    pass when ``backward``)."""
    return [run(student, {"ctor": ctor, "state": table(ctor, seed), "call": "embedding",
                          "inputs": [{"x": ids}], "backward": backward})
            for seed, (ctor, ids) in enumerate(CASES, start=11)]


@pytest.fixture(scope="module")
def own_lookups(student: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return own_layer_runs(student, backward=False)


@pytest.fixture(scope="module")
def own_layers(student: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return own_layer_runs(student, backward=True)


@pytest.fixture(scope="module")
def initialised(student: Any) -> list[dict[str, Any]]:
    """``self.embedding`` after ``init_weights()``, called directly on ids with pads."""
    return [run(student, {"ctor": ctor, "init_weights": True, "call": "embedding",
                          "inputs": [{"x": ids}]})[0] for ctor, ids in CASES]


def forward_plan(ctor: dict[str, Any], seed: int, inputs: list[dict[str, Any]],
                 backward: bool = False) -> dict[str, Any]:
    """The student's forward around the grader's nn.Embedding (the grader's table)."""
    layers = layer_spec(table(ctor, seed), "embedding", padding_idx=ctor["padding_idx"])
    return {"ctor": ctor, "layers": layers, "inputs": inputs, "backward": backward}


@pytest.fixture(scope="module")
def forward_runs(student: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [run(student, forward_plan(ctor, seed, [{"x": ids}], backward=True))
            for seed, (ctor, ids) in enumerate(CASES, start=22)]


def gradient_of_table(report: dict[str, Any], ctor: dict[str, Any], name: str) -> torch.Tensor:
    run_result = module_runs(report, name)[0]
    grad = (run_result.get("grads") or {}).get("embedding.weight")
    check(grad is not None, f"{name}: no gradient reached the table embedding.weight, so "
          "nothing is learned")
    return expect_tensor(grad, f"{name}: the gradient of embedding.weight",
                         shape=[ctor["vocab_size"], ctor["embedding_dim"]])


# ---------------------------------------------------------------------------- TODO-2-1
@pytest.mark.todo("TODO-2-1")
def test_lookup_table(own_lookups: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for (ctor, _), (report, reference) in zip(CASES, own_lookups):
        name = what(ctor)
        check_structure(report, reference, name, "self.embedding = nn.Embedding(vocab_size, "
                        "embedding_dim, ...), nothing else with parameters",
                        verify_outputs=False)
        found = module_runs(report, name)[0]["out"]
        wanted = module_runs(reference, "reference")[0]["out"]
        expect_equal(found, wanted, f"{name}.embedding(ids) with the grader's table",
                     "a lookup returns the table's rows unchanged; no max_norm", close=True)


@pytest.mark.todo("TODO-2-1")
def test_padding_row_zero(initialised: list[dict[str, Any]]) -> None:
    for (ctor, ids), report in zip(CASES, initialised):
        name, pad = what(ctor), ctor["padding_idx"]
        constructed(report, name)
        ok(report["init"], f"{name}.init_weights()")
        out = expect_tensor(module_runs(report, name)[0]["out"], f"{name}.embedding(ids)",
                            shape=[*ids.shape, ctor["embedding_dim"]])
        at_pads = out[ids == pad]
        check(bool((at_pads == 0).all()), f"{name}: after init_weights() the vector of the "
              f"padding index {pad} must be all zeros (tell nn.Embedding which index is "
              "padding)")
        check(bool((out[ids != pad] != 0).any()), f"{name}: after init_weights() every "
              "vector is zero; only the padding row should be")


@pytest.mark.todo("TODO-2-1")
def test_padding_row_no_gradient(own_layers: list[tuple[dict[str, Any], dict[str, Any]]]
                                 ) -> None:
    for (ctor, ids), (report, _) in zip(CASES, own_layers):
        name, pad = f"{what(ctor)}.embedding (the layer called directly)", ctor["padding_idx"]
        grad = gradient_of_table(report, ctor, name)
        check(bool((grad[pad] == 0).all()), f"{name}: the padding row {pad} received a "
              "gradient; tell the embedding layer which index is padding")
        used = sorted({int(i) for i in ids.flatten()} - {pad})
        check(bool((grad[used].abs().sum(dim=1) > 0).all()),
              f"{name}: rows of tokens in the input received no gradient")


@pytest.mark.todo("TODO-2-1")
def test_table_gradients(own_layers: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for (ctor, _), (report, reference) in zip(CASES, own_layers):
        name = f"{what(ctor)}.embedding (the layer called directly)"
        grad = gradient_of_table(report, ctor, name)
        wanted = module_runs(reference, "reference")[0]["grads"]["embedding.weight"]
        expect_equal(grad, wanted, f"{name}: the gradient of embedding.weight",
                     "each row gets the sum of the gradients at the positions of its token, "
                     "as a plain nn.Embedding gives (no scale_grad_by_freq)", close=True)


# ---------------------------------------------------------------------------- TODO-2-2
@pytest.mark.todo("TODO-2-2")
def test_output_shape(forward_runs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    report, _ = forward_runs[0]
    expect_tensor(module_runs(report, what(CTOR))[0]["out"],
                  f"{what(CTOR)} output for input ids of shape {list(IDS.shape)}",
                  dtype=torch.float32, shape=[*IDS.shape, CTOR["embedding_dim"]])


@pytest.mark.todo("TODO-2-2")
def test_matches_reference(forward_runs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for (ctor, _), (report, reference) in zip(CASES, forward_runs):
        expect_equal(module_runs(report, what(ctor))[0]["out"],
                     module_runs(reference, "reference")[0]["out"], f"{what(ctor)} output",
                     "each position holds the row of the embedding table for its token id",
                     close=True)


@pytest.mark.todo("TODO-2-2")
def test_padding_gets_no_gradient(forward_runs: list[tuple[dict[str, Any], dict[str, Any]]]
                                  ) -> None:
    for (ctor, _), (report, reference) in zip(CASES, forward_runs):
        name = f"the output of {what(ctor)}"
        compare_gradients(module_runs(report, name)[0],
                          module_runs(reference, "reference")[0], name,
                          "call the layer self.embedding, which keeps the padding row out of "
                          "training, instead of indexing its weight")


@pytest.mark.todo("TODO-2-2")
def test_edge_sizes(student: Any) -> None:
    inputs = [{"x": IDS[:1]}, {"x": IDS[:, :1]}, {"x": IDS[:1, :1]}]
    report, reference = run(student, forward_plan(CTOR, 23, inputs))
    found, wanted = module_runs(report, what(CTOR)), module_runs(reference, "reference")
    for item, run_result, expected in zip(inputs, found, wanted, strict=True):
        expect_equal(run_result["out"], expected["out"], f"{what(CTOR)} output for input ids "
                     f"of shape {list(item['x'].shape)}", "a batch of one sentence and a "
                     "one-token sentence keep their dimensions: [B, L] -> [B, L, D]",
                     close=True)
