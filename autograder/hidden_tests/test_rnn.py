"""Hidden tests of TODO-5-1 (``RNN.__init__``) and TODO-5-2 (``RNN.forward``).

As for the FFNN, TODO-5-1 is judged on the layers ``__init__`` makes, one
property per test: how many layers W and U hold (from the parameter names,
whatever their shapes), how many parameters there are in all, the parameters'
names and shapes, confirmed by loading the grader's random values into them and
running the TODO's recurrence over them in the harness (never the student's
``forward``; the outputs must equal the reference's), and which layers have a
bias with ``bias=False`` (from the names alone).

TODO-5-2 is judged on the student's ``forward`` around the grader's own layers
(``W``, ``U``, ``V`` and ``f`` built from the grader's values), so a
constructor bug costs TODO-5-1 only. Outputs and the gradients of the grader's
layers must equal the reference's on the same layers and embeddings (a hidden
state detached between steps gives the right outputs but wrong gradients).
Recurrence is checked on the student's outputs alone: changing token t may
change outputs at t and later only. Whether layer k applies its own ``self.f[k]``
at every step is judged by giving every layer a PReLU with its own slope.
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
    random_state,
    random_tensor,
    reference_module_run,
    reported_state,
)
from autograder.sandbox.child.module_harness import layer_spec
from ner_helpers.rnn import RNN

GROUP = "rnn"
SIZES = {"embedding_dim": 10, "hidden_dim": 5, "output_dim": 2}
X = random_tensor([3, 6, 10], seed=51)
CHANGED_STEP = 3
#: The slopes of the PReLUs that stand in for self.f[k] in test_layer_activations.
SLOPES = (0.3, -0.4, 0.8)


def ctor(num_layers: int, **extra: Any) -> dict[str, Any]:
    return {**SIZES, "num_layers": num_layers, **extra}


def what(config: dict[str, Any]) -> str:
    extra = "".join(f", {key}={config[key]!r}" for key in ("bias", "nonlinearity")
                    if key in config)
    return f"RNN(10, 5, 2, num_layers={config['num_layers']}{extra})"


def run(student: Any, plan: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(student report, reference report) of the same plan."""
    report = student.call(GROUP, "module", module="rnn", class_name="RNN", plan=plan)
    return report, reference_module_run(RNN, plan)


def forward_plan(config: dict[str, Any], inputs: list[dict[str, Any]], seed: int = 200,
                 backward: bool = False, slopes: tuple[float, ...] | None = None
                 ) -> dict[str, Any]:
    """The student's forward around the grader's layers with random values; ``f[k]`` per
    the nonlinearity (a PReLU keeps its random slope), or PReLUs with ``slopes``."""
    state = random_state(RNN, config, seed=seed)
    nonlinearity = config.get("nonlinearity", "tanh")
    if slopes is not None:
        activations: list[Any] = list(slopes)
    elif nonlinearity == "prelu":
        activations = [float(state[f"f.{k}.weight"]) for k in range(config["num_layers"])]
    else:
        activations = [nonlinearity] * config["num_layers"]
    layers = layer_spec(state, "rnn", activations)
    return {"ctor": config, "layers": layers, "inputs": inputs, "backward": backward}


def outputs(report: dict[str, Any], what_text: str, shape: list[int]) -> list[torch.Tensor]:
    return [expect_tensor(item["out"], f"{what_text} output", shape=shape)
            for item in module_runs(report, what_text)]


# ---------------------------------------------------------------------------- TODO-5-1
def structure(student: Any, config: dict[str, Any], seed: int
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The grader's values loaded into the layers of ``__init__`` and run through the
    recurrence by the harness (tanh, zero initial states)."""
    return run(student, {"kind": "rnn", "ctor": config, "call": "layers",
                         "state": random_state(RNN, config, seed=seed), "inputs": [{"x": X}]})


@pytest.fixture(scope="module")
def structures(student: Any) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    return {n: structure(student, ctor(n), seed=400 + n) for n in (1, 2, 5)}


@pytest.mark.todo("TODO-5-1")
def test_layer_counts(structures: dict[int, tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Counted from the parameter names only: a wrong shape costs parameter_shapes."""
    for num_layers, (report, reference) in structures.items():
        name = what(ctor(num_layers))
        state = reported_state(report, reference, name)
        for attribute in ("W", "U"):
            found = len({key.split(".")[1] for key in state if key.startswith(f"{attribute}.")})
            if found == 0:
                fail(f"{name} has no layers in {attribute} (parameters found: "
                     f"{', '.join(state) or 'none'}); make {attribute} an nn.ModuleList, so "
                     "that PyTorch registers its layers")
            check(found == num_layers, f"{name} has {found} layers in {attribute}, expected "
                  f"{num_layers} (one per layer)")


@pytest.mark.todo("TODO-5-1")
def test_parameter_count(structures: dict[int, tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for num_layers, (report, reference) in structures.items():
        name = what(ctor(num_layers))
        state = reported_state(report, reference, name)
        found = sum(t.numel() for t in state.values() if isinstance(t, torch.Tensor))
        wanted = sum(p.numel() for p in RNN(**ctor(num_layers)).parameters())
        check(found == wanted, f"{name} has {found} parameters, expected {wanted}")


@pytest.mark.todo("TODO-5-1")
def test_parameter_shapes(structures: dict[int, tuple[dict[str, Any], dict[str, Any]]]
                          ) -> None:
    for num_layers, (report, reference) in structures.items():
        check_structure(report, reference, what(ctor(num_layers)), "W[0] reads the embedding, "
                        "W[k] for k > 0 the layer below")


@pytest.mark.todo("TODO-5-1")
def test_bias_option(student: Any) -> None:
    """Judged on the names alone (which layers have a ``.bias``), whatever the shapes: a
    wrong shape costs parameter_shapes."""
    config = ctor(2, bias=False)
    report, reference = structure(student, config, seed=410)
    name = what(config)
    state = reported_state(report, reference, name)
    biased = sorted(key.removesuffix(".bias") for key in state
                    if key.endswith(".bias") and key.startswith(("W.", "U.")))
    check(not biased, f"{name} has biases in {', '.join(biased)}; with bias=False, W and U "
          "have no bias")
    check("V.bias" in state, f"{name} has no V.bias; V keeps its bias whatever the bias "
          "option says")


# ---------------------------------------------------------------------------- TODO-5-2
@pytest.fixture(scope="module")
def two_layers(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Runs: x, x again, x with token 3 of sentence 0 changed, x with a given h0."""
    changed = X.clone()
    changed[0, CHANGED_STEP] = random_tensor([10], seed=52)
    h0 = random_tensor([2, 3, 5], seed=53)
    inputs = [{"x": X}, {"x": X}, {"x": changed}, {"x": X, "h0": h0}]
    return run(student, forward_plan(ctor(2), inputs))


@pytest.mark.todo("TODO-5-2")
def test_output_shape(two_layers: tuple[dict[str, Any], dict[str, Any]]) -> None:
    report, _ = two_layers
    found = module_runs(report, what(ctor(2)))[0]["out"]
    expect_tensor(found, f"{what(ctor(2))} output for embeddings of shape {list(X.shape)}",
                  dtype=torch.float32, shape=[3, 6, 2])


def compare_outputs(student: Any, config: dict[str, Any], hint: str, seed: int = 200) -> None:
    report, reference = run(student, forward_plan(config, [{"x": X}], seed=seed))
    found = module_runs(report, what(config))[0]["out"]
    wanted = module_runs(reference, "reference")[0]["out"]
    expect_equal(found, wanted, f"{what(config)} output", hint, close=True)


@pytest.mark.todo("TODO-5-2")
def test_matches_reference_one_layer(student: Any) -> None:
    compare_outputs(student, ctor(1), "z[t] = f(W z_in[t] + U z[t-1]) from a zero state, "
                    "logits V z[t] at every step")


@pytest.mark.todo("TODO-5-2")
def test_matches_reference_many_layers(student: Any) -> None:
    compare_outputs(student, ctor(3), "layer k reads layer k-1's state at the same step",
                    seed=201)
    compare_outputs(student, ctor(2, bias=False), "bias=False", seed=202)


@pytest.mark.todo("TODO-5-2")
def test_nonlinearities(student: Any) -> None:
    for name in ("relu", "prelu"):
        compare_outputs(student, ctor(2, nonlinearity=name), f"use self.f[k] as layer k's "
                        f"nonlinearity ({name})", seed=203)


@pytest.mark.todo("TODO-5-2")
def test_causal_in_time(two_layers: tuple[dict[str, Any], dict[str, Any]]) -> None:
    report, reference = two_layers
    base, _, changed, _ = outputs(report, what(ctor(2)), [3, 6, 2])
    ref_base, _, ref_changed, _ = outputs(reference, "reference", [3, 6, 2])
    if bool(torch.isclose(ref_base[0, -1], ref_changed[0, -1], atol=1e-6).all()):
        raise InternalError("the recurrence test input does not reach the last step")
    name = what(ctor(2))
    for t in range(CHANGED_STEP):
        check(bool(torch.isclose(base[0, t], changed[0, t], atol=1e-6).all()),
              f"{name}: changing token {CHANGED_STEP} changed the output at earlier step {t}; "
              "a left-to-right RNN only sees tokens up to t")
    for t in (CHANGED_STEP, 5):
        check(not bool(torch.isclose(base[0, t], changed[0, t], atol=1e-6).all()),
              f"{name}: changing token {CHANGED_STEP} did not change the output at step {t}; "
              "the hidden state must carry information from step t-1 to step t")
    check(bool(torch.isclose(base[1:], changed[1:], atol=1e-6).all()),
          f"{name}: changing a token of sentence 0 changed the outputs of other sentences")


@pytest.mark.todo("TODO-5-2")
def test_layer_activations(student: Any) -> None:
    config = ctor(3)
    report, reference = run(student, forward_plan(config, [{"x": X}], seed=205, slopes=SLOPES))
    name = what(config)
    expect_equal(module_runs(report, name)[0]["out"], module_runs(reference, "reference")[0]["out"],
                 f"{name} output with each self.f[k] replaced by an activation of the grader's",
                 "z[k, t] = f_k(W_k z[k-1, t] + U_k z[k, t-1]): layer k applies its own "
                 "self.f[k] once per step", close=True)


@pytest.mark.todo("TODO-5-2")
def test_initial_state(two_layers: tuple[dict[str, Any], dict[str, Any]]) -> None:
    report, reference = two_layers
    name = what(ctor(2))
    first, again, _, given = outputs(report, name, [3, 6, 2])
    _, _, _, ref_given = outputs(reference, "reference", [3, 6, 2])
    if not torch.equal(first, again):
        fail(f"{name}: the same input gave different outputs in two calls; start from a zero "
             "state every call, so inference is deterministic")
    expect_equal(given, ref_given, f"{name} output with a given h0", "start layer k from "
                 "h0[k] when h0 is given", close=True)


@pytest.mark.todo("TODO-5-2")
def test_gradients_through_time(student: Any) -> None:
    config = ctor(2)
    report, reference = run(student, forward_plan(config, [{"x": X}], seed=204, backward=True))
    compare_gradients(module_runs(report, what(config))[0],
                      module_runs(reference, "reference")[0], what(config),
                      "the gradient must flow from step t back to step t-1 through the hidden "
                      "state; do not detach it")


@pytest.mark.todo("TODO-5-2")
def test_edge_sizes(student: Any) -> None:
    inputs = [{"x": X[:1]}, {"x": X[:, :1]}, {"x": X[:1, :1]}]
    report, reference = run(student, forward_plan(ctor(2), inputs, seed=206))
    found, wanted = module_runs(report, what(ctor(2))), module_runs(reference, "reference")
    for item, run_result, expected in zip(inputs, found, wanted, strict=True):
        expect_equal(run_result["out"], expected["out"], f"{what(ctor(2))} output for "
                     f"embeddings of shape {list(item['x'].shape)}", "a batch of one sentence "
                     "and a one-token sentence keep their dimensions: [B, L, D] -> [B, L, O]",
                     close=True)
