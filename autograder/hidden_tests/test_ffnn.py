"""Hidden tests of TODO-4-1 (``FFNN.__init__``) and TODO-4-2 (``FFNN.forward``).

TODO-4-1 is judged on the layers ``__init__`` makes, never through the student's
``forward``, one property per test: how many layers U holds (counted from the
parameter names, whatever their shapes), how many parameters there are in all,
and the parameters' names and shapes, confirmed by loading the grader's random
values into them and composing W, U and V by the TODO's formula in the harness
(the outputs must equal the reference's).

TODO-4-2 is judged on the student's ``forward`` around the grader's own layers
(``W``, ``U``, ``V`` and the activations ``f`` built by the harness from the
grader's values, whatever ``__init__`` made), so a constructor bug costs
TODO-4-1 only. Outputs and the gradients of the grader's layers must equal the
reference's on the same layers and embeddings. Whether ``forward`` applies
the provided ``self.f[k]`` after hidden layer k is judged by giving each
``f[k]`` an activation with its own slope (a PReLU): only a forward that
calls each at its place reproduces the reference's outputs. No internal shape
is checked: a forward that flattens the tokens to ``[B * L, D]`` and reshapes
back is as good as any.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    InternalError,
    check,
    check_structure,
    compare_gradients,
    expect_equal,
    expect_tensor,
    fail,
    module_runs,
    ok,
    random_state,
    random_tensor,
    reference_module_run,
    reported_state,
)
from autograder.sandbox.child.module_harness import layer_spec
from ner_helpers.ffnn import FFNN

GROUP = "ffnn"
SIZES = {"embedding_dim": 10, "hidden_dim": 5, "output_dim": 2}
X = random_tensor([3, 4, 10], seed=41)
#: The slopes of the PReLUs that stand in for self.f[k] in test_hidden_activations.
SLOPES = (0.25, -0.5, 0.1, 0.7, -0.3)


def ctor(num_layers: int) -> dict[str, Any]:
    return {**SIZES, "num_layers": num_layers}


def what(num_layers: int) -> str:
    return f"FFNN(10, 5, 2, num_layers={num_layers})"


def run(student: Any, plan: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(student report, reference report) of the same plan."""
    report = student.call(GROUP, "module", module="ffnn", class_name="FFNN", plan=plan)
    return report, reference_module_run(FFNN, plan)


def forward_plan(num_layers: int, inputs: list[dict[str, Any]], backward: bool = False,
                 activations: tuple[Any, ...] | None = None) -> dict[str, Any]:
    """The student's forward around the grader's layers (random values, ReLUs unless
    ``activations`` says otherwise)."""
    state = random_state(FFNN, ctor(num_layers), seed=100 + num_layers)
    layers = layer_spec(state, "ffnn", activations or ("relu",) * num_layers)
    return {"ctor": ctor(num_layers), "layers": layers, "inputs": inputs, "backward": backward}


def output(report: dict[str, Any], name: str, index: int = 0) -> Any:
    return module_runs(report, name)[index]["out"]


# ---------------------------------------------------------------------------- TODO-4-1
@pytest.fixture(scope="module")
def structures(student: Any) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    """Per num_layers: the grader's values loaded into the layers of ``__init__``, composed
    by the harness (W, ReLU, each U[k], ReLU, V) on X."""
    return {n: run(student, {"kind": "ffnn", "ctor": ctor(n), "call": "layers",
                             "state": random_state(FFNN, ctor(n), seed=300 + n),
                             "inputs": [{"x": X}]})
            for n in (1, 2, 5)}


def u_layers(report: dict[str, Any], name: str) -> int:
    state = ok(report["state"], f"listing the parameters of {name}")
    return len({key.split(".")[1] for key in state if key.startswith("U.")})


@pytest.mark.todo("TODO-4-1")
def test_layer_counts(structures: dict[int, tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Counted from the parameter names only: a wrong shape costs parameter_shapes."""
    for num_layers, (report, reference) in structures.items():
        name = what(num_layers)
        reported_state(report, reference, name)
        found = u_layers(report, name)
        if found == 0 and num_layers > 1:
            state = ok(report["state"], name)
            fail(f"{name} has no layers in U (parameters found: {', '.join(state) or 'none'}); "
                 "make U an nn.ModuleList, so that PyTorch registers its layers")
        layers = f"{found} layer{'s' * (found != 1)}"
        check(found == num_layers - 1, f"{name} has {layers} in U, expected {num_layers - 1} "
              "(num_layers - 1 hidden-to-hidden layers; W is the first hidden layer)")


@pytest.mark.todo("TODO-4-1")
def test_parameter_count(structures: dict[int, tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for num_layers, (report, reference) in structures.items():
        name = what(num_layers)
        state = reported_state(report, reference, name)
        found = sum(t.numel() for t in state.values() if isinstance(t, torch.Tensor))
        wanted = sum(p.numel() for p in FFNN(**ctor(num_layers)).parameters())
        check(found == wanted, f"{name} has {found} parameters, expected {wanted}")


@pytest.mark.todo("TODO-4-1")
def test_parameter_shapes(structures: dict[int, tuple[dict[str, Any], dict[str, Any]]]
                          ) -> None:
    for num_layers, (report, reference) in structures.items():
        check_structure(report, reference, what(num_layers), "W, U[k] and V are nn.Linear "
                        "layers with biases")


# ---------------------------------------------------------------------------- TODO-4-2
@pytest.mark.todo("TODO-4-2")
def test_output_shape(student: Any) -> None:
    report, _ = run(student, forward_plan(2, [{"x": X}]))
    expect_tensor(output(report, what(2)), f"{what(2)} output for embeddings of shape "
                  f"{list(X.shape)}", dtype=torch.float32, shape=[3, 4, 2])


@pytest.mark.todo("TODO-4-2")
def test_matches_reference_one_layer(student: Any) -> None:
    report, reference = run(student, forward_plan(1, [{"x": X}]))
    expect_equal(output(report, what(1)), output(reference, "reference"), f"{what(1)} output",
                 "W, ReLU, then V; logits without softmax", close=True)


@pytest.mark.todo("TODO-4-2")
def test_matches_reference_many_layers(student: Any) -> None:
    report, reference = run(student, forward_plan(5, [{"x": X}]))
    expect_equal(output(report, what(5)), output(reference, "reference"), f"{what(5)} output",
                 "W, then every layer of U in order, each followed by its ReLU, then V",
                 close=True)


@pytest.mark.todo("TODO-4-2")
def test_hidden_activations(student: Any) -> None:
    report, reference = run(student, forward_plan(5, [{"x": X}], activations=SLOPES))
    expect_equal(output(report, what(5)), output(reference, "reference"),
                 f"{what(5)} output with each self.f[k] replaced by an activation of the "
                 "grader's", "apply the provided self.f[k] once, after hidden layer k + 1 "
                 "(W for k = 0, U[k - 1] after that)", close=True)


@pytest.mark.todo("TODO-4-2")
def test_tokens_independent(student: Any) -> None:
    changed = X.clone()
    changed[1, 2] = random_tensor([10], seed=42)
    expected_same = torch.ones(3, 4, dtype=torch.bool)
    expected_same[1, 2] = False
    report, reference = run(student, forward_plan(2, [{"x": X}, {"x": changed}]))
    if not bool((outputs_equal(output(reference, "reference"), output(reference, "reference", 1))
                 == expected_same).all()):
        raise InternalError("the inputs of the token-independence test do not change the "
                            "reference's output at the changed token")
    first = expect_tensor(output(report, what(2)), f"{what(2)} output", shape=[3, 4, 2])
    second = expect_tensor(output(report, what(2), 1), f"{what(2)} output", shape=[3, 4, 2])
    check(bool((outputs_equal(first, second) == expected_same).all()),
          f"{what(2)}: changing the embedding of token 2 in sentence 1 must change the output "
          "at that token only (an FFNN classifies every token from its own embedding)")


@pytest.mark.todo("TODO-4-2")
def test_gradients_match_reference(student: Any) -> None:
    report, reference = run(student, forward_plan(3, [{"x": X}], backward=True))
    compare_gradients(module_runs(report, what(3))[0], module_runs(reference, "reference")[0],
                      what(3), "the gradient must flow back through every layer to W; do not "
                      "detach the hidden activations")


@pytest.mark.todo("TODO-4-2")
def test_edge_sizes(student: Any) -> None:
    inputs = [{"x": X[:1]}, {"x": X[:, :1]}, {"x": X[:1, :1]}]
    report, reference = run(student, forward_plan(2, inputs))
    found, wanted = module_runs(report, what(2)), module_runs(reference, "reference")
    for item, run_result, expected in zip(inputs, found, wanted, strict=True):
        expect_equal(run_result["out"], expected["out"], f"{what(2)} output for embeddings of "
                     f"shape {list(item['x'].shape)}", "a batch of one sentence and a "
                     "one-token sentence keep their dimensions: [B, L, D] -> [B, L, O]",
                     close=True)


def outputs_equal(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """[B, L] booleans: where two outputs [B, L, O] agree."""
    return torch.isclose(first, second, atol=1e-6).all(dim=-1)
