"""Hidden tests of TODO-4-1 (``FFNN.__init__``) and TODO-4-2 (``FFNN.forward``).

The student's FFNN is built with the same sizes as the reference, gets the
reference's (randomised) weights loaded strictly by parameter name, and runs
on the same embeddings; outputs and per-layer activations must agree, and so
must the parameters' gradients after a backward pass (a forward that detaches
an activation gives the right outputs but trains only the layers above it).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    InternalError,
    check,
    compare_gradients,
    compare_parameter_tables,
    expect_equal,
    expect_tensor,
    module_runs,
    parameter_table,
    random_state,
    random_tensor,
    reference_module_run,
)
from ner_helpers.ffnn import FFNN

GROUP = "ffnn"
SIZES = {"embedding_dim": 10, "hidden_dim": 5, "output_dim": 2}
X = random_tensor([3, 4, 10], seed=41)


def ctor(num_layers: int) -> dict[str, Any]:
    return {**SIZES, "num_layers": num_layers}


def what(num_layers: int) -> str:
    return f"FFNN(10, 5, 2, num_layers={num_layers})"


def call(student: Any, num_layers: int, inputs: list[dict[str, Any]], with_state: bool = True,
         hooks: list[str] | None = None, backward: bool = False
         ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(student report, reference report) of the same module, weights and inputs."""
    state = random_state(FFNN, ctor(num_layers), seed=100 + num_layers) if with_state else None
    hooks = hooks or []
    report = student.call(GROUP, "module", module="ffnn", class_name="FFNN",
                          ctor=ctor(num_layers), state=state, inputs=inputs, hooks=hooks,
                          backward=backward)
    reference = (reference_module_run(FFNN, ctor(num_layers), state, inputs, hooks,
                                      backward=backward) if with_state else None)
    return report, reference


@pytest.fixture(scope="module")
def layouts(student: Any) -> dict[int, dict[str, Any]]:
    return {n: call(student, n, [], with_state=False)[0] for n in (1, 2, 5)}


@pytest.fixture(scope="module")
def deep(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return call(student, 5, [{"x": X}], hooks=[f"f.{k}" for k in range(5)])


@pytest.mark.todo("TODO-4-1")
def test_layer_counts(layouts: dict[int, dict[str, Any]]) -> None:
    for num_layers, report in layouts.items():
        table = parameter_table(report, what(num_layers))
        layers = report["info"]["ok"]["layers"]
        for name in ("W", "V"):
            check(layers.get(name, {}).get("type") == "Linear",
                  f"{what(num_layers)}.{name} should be an nn.Linear layer")
        check(layers.get("U", {}).get("type") == "ModuleList",
              f"{what(num_layers)}.U should be an nn.ModuleList")
        length = layers["U"].get("length")
        check(length == num_layers - 1, f"{what(num_layers)} has len(U) == {length}, expected "
              f"{num_layers - 1} (num_layers - 1 hidden-to-hidden layers)")
        check(bool(table), f"{what(num_layers)} has no parameters")


@pytest.mark.todo("TODO-4-1")
def test_parameter_count(layouts: dict[int, dict[str, Any]]) -> None:
    for num_layers, report in layouts.items():
        parameter_table(report, what(num_layers))
        found = report["info"]["ok"]["num_parameters"]
        wanted = sum(p.numel() for p in FFNN(**ctor(num_layers)).parameters())
        check(found == wanted, f"{what(num_layers)} has {found} parameters, expected {wanted}")


@pytest.mark.todo("TODO-4-1")
def test_parameter_shapes(layouts: dict[int, dict[str, Any]]) -> None:
    for num_layers, report in layouts.items():
        expected = sorted((name, list(p.shape))
                          for name, p in FFNN(**ctor(num_layers)).named_parameters())
        compare_parameter_tables(parameter_table(report, what(num_layers)), expected,
                                 what(num_layers))


@pytest.mark.todo("TODO-4-2")
def test_output_shape(student: Any) -> None:
    report, _ = call(student, 2, [{"x": X}], with_state=False)
    runs = module_runs(report, what(2))
    expect_tensor(runs[0]["out"], f"{what(2)} output for embeddings of shape {list(X.shape)}",
                  dtype=torch.float32, shape=[3, 4, 2])


@pytest.mark.todo("TODO-4-2")
def test_matches_reference_one_layer(student: Any) -> None:
    report, reference = call(student, 1, [{"x": X}])
    found = module_runs(report, what(1))[0]["out"]
    wanted = module_runs(reference, "reference")[0]["out"]
    expect_equal(found, wanted, f"{what(1)} output", "W, ReLU, then V; logits without softmax",
                 close=True)


@pytest.mark.todo("TODO-4-2")
def test_matches_reference_many_layers(deep: tuple[dict[str, Any], dict[str, Any]]) -> None:
    report, reference = deep
    found = module_runs(report, what(5))[0]["out"]
    wanted = module_runs(reference, "reference")[0]["out"]
    expect_equal(found, wanted, f"{what(5)} output", "W, then every layer of U in order, each "
                 "followed by its ReLU, then V", close=True)


@pytest.mark.todo("TODO-4-2")
def test_hidden_activations(deep: tuple[dict[str, Any], dict[str, Any]]) -> None:
    report, reference = deep
    run = module_runs(report, what(5))[0]
    wanted = module_runs(reference, "reference")[0]["activations"]
    for k in range(5):
        outputs = run["activations"].get(f"f.{k}", [])
        check(len(outputs) == 1, f"{what(5)}: self.f[{k}] was called {len(outputs)} times in "
              f"one forward pass; apply the provided ReLU self.f[{k}] once after hidden "
              f"layer {k + 1}")
        expect_equal(outputs[0], wanted[f"f.{k}"][0], f"{what(5)}: the output of hidden layer "
                     f"{k + 1} (self.f[{k}])", "layer k+1 reads layer k's activation",
                     close=True)


@pytest.mark.todo("TODO-4-2")
def test_tokens_independent(student: Any) -> None:
    changed = X.clone()
    changed[1, 2] = random_tensor([10], seed=42)
    expected_same = torch.ones(3, 4, dtype=torch.bool)
    expected_same[1, 2] = False
    report, reference = call(student, 2, [{"x": X}, {"x": changed}])
    runs = module_runs(reference, "reference")
    if not bool((outputs_equal(runs[0]["out"], runs[1]["out"]) == expected_same).all()):
        raise InternalError("the inputs of the token-independence test do not change the "
                            "reference's output at the changed token")
    runs = module_runs(report, what(2))
    first = expect_tensor(runs[0]["out"], f"{what(2)} output", shape=[3, 4, 2])
    second = expect_tensor(runs[1]["out"], f"{what(2)} output", shape=[3, 4, 2])
    check(bool((outputs_equal(first, second) == expected_same).all()),
          f"{what(2)}: changing the embedding of token 2 in sentence 1 must change the output "
          "at that token only (an FFNN classifies every token from its own embedding)")


@pytest.mark.todo("TODO-4-2")
def test_gradients_match_reference(student: Any) -> None:
    report, reference = call(student, 3, [{"x": X}], backward=True)
    compare_gradients(report, reference, what(3), "the gradient must flow back through every "
                      "layer to W; do not detach the hidden activations")


def outputs_equal(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """[B, L] booleans: where two outputs [B, L, O] agree."""
    return torch.isclose(first, second, atol=1e-6).all(dim=-1)
