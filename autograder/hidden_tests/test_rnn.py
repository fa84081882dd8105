"""Hidden tests of TODO-5-1 (``RNN.__init__``) and TODO-5-2 (``RNN.forward``).

As for the FFNN, the reference's randomised weights are loaded into the
student's RNN by parameter name and both run on the same embeddings; the
per-layer hidden states (recorded at the provided nonlinearities ``f[k]``,
one call per time step) must agree too. Recurrence is checked on the
student's module alone: changing token t may change outputs at t and later
only. The parameters' gradients after a backward pass must agree too, so a
hidden state detached between steps (right outputs, no learning through time)
is caught.
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
    fail,
    module_runs,
    parameter_table,
    random_state,
    random_tensor,
    reference_module_run,
)
from ner_helpers.rnn import RNN

GROUP = "rnn"
SIZES = {"embedding_dim": 10, "hidden_dim": 5, "output_dim": 2}
X = random_tensor([3, 6, 10], seed=51)
CHANGED_STEP = 3


def ctor(num_layers: int, **extra: Any) -> dict[str, Any]:
    return {**SIZES, "num_layers": num_layers, **extra}


def what(config: dict[str, Any]) -> str:
    extra = "".join(f", {key}={config[key]!r}" for key in ("bias", "nonlinearity")
                    if key in config)
    return f"RNN(10, 5, 2, num_layers={config['num_layers']}{extra})"


def call(student: Any, config: dict[str, Any], inputs: list[dict[str, Any]],
         hooks: list[str] | None = None, seed: int = 200, backward: bool = False
         ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(student report, reference report) with the same random weights and inputs."""
    state = random_state(RNN, config, seed=seed)
    hooks = hooks or []
    report = student.call(GROUP, "module", module="rnn", class_name="RNN", ctor=config,
                          state=state, inputs=inputs, hooks=hooks, backward=backward)
    return report, reference_module_run(RNN, config, state, inputs, hooks, backward=backward)


def layout(student: Any, config: dict[str, Any]) -> dict[str, Any]:
    return student.call(GROUP, "module", module="rnn", class_name="RNN", ctor=config,
                        state=None, inputs=[], hooks=[])


@pytest.fixture(scope="module")
def layouts(student: Any) -> dict[int, dict[str, Any]]:
    return {n: layout(student, ctor(n)) for n in (1, 2, 5)}


@pytest.fixture(scope="module")
def two_layers(student: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Runs: x, x again, x with token 3 of sentence 0 changed, x with a given h0."""
    changed = X.clone()
    changed[0, CHANGED_STEP] = random_tensor([10], seed=52)
    h0 = random_tensor([2, 3, 5], seed=53)
    inputs = [{"x": X}, {"x": X}, {"x": changed}, {"x": X, "h0": h0}]
    return call(student, ctor(2), inputs, hooks=["f.0", "f.1"])


def outputs(report: dict[str, Any], what_text: str, shape: list[int]) -> list[torch.Tensor]:
    return [expect_tensor(run["out"], f"{what_text} output", shape=shape)
            for run in module_runs(report, what_text)]


@pytest.mark.todo("TODO-5-1")
def test_layer_counts(layouts: dict[int, dict[str, Any]]) -> None:
    for num_layers, report in layouts.items():
        name = what(ctor(num_layers))
        parameter_table(report, name)
        layers = report["info"]["ok"]["layers"]
        for attribute in ("W", "U"):
            entry = layers.get(attribute, {})
            check(entry.get("type") == "ModuleList", f"{name}.{attribute} should be an "
                  "nn.ModuleList")
            check(entry.get("length") == num_layers, f"{name} has len({attribute}) == "
                  f"{entry.get('length')}, expected {num_layers} (one per layer)")
        check(layers.get("V", {}).get("type") == "Linear", f"{name}.V should be an nn.Linear")


@pytest.mark.todo("TODO-5-1")
def test_parameter_count(layouts: dict[int, dict[str, Any]]) -> None:
    for num_layers, report in layouts.items():
        parameter_table(report, what(ctor(num_layers)))
        found = report["info"]["ok"]["num_parameters"]
        wanted = sum(p.numel() for p in RNN(**ctor(num_layers)).parameters())
        check(found == wanted, f"{what(ctor(num_layers))} has {found} parameters, expected "
              f"{wanted}")


@pytest.mark.todo("TODO-5-1")
def test_parameter_shapes(layouts: dict[int, dict[str, Any]]) -> None:
    for num_layers, report in layouts.items():
        expected = sorted((name, list(p.shape))
                          for name, p in RNN(**ctor(num_layers)).named_parameters())
        compare_parameter_tables(parameter_table(report, what(ctor(num_layers))), expected,
                                 what(ctor(num_layers)))


@pytest.mark.todo("TODO-5-1")
def test_bias_option(student: Any) -> None:
    config = ctor(2, bias=False)
    expected = sorted((name, list(p.shape)) for name, p in RNN(**config).named_parameters())
    compare_parameter_tables(parameter_table(layout(student, config), what(config)), expected,
                             what(config) + " (bias=False: W and U have no bias; V keeps one)")


@pytest.mark.todo("TODO-5-2")
def test_output_shape(two_layers: tuple[dict[str, Any], dict[str, Any]]) -> None:
    report, _ = two_layers
    found = module_runs(report, what(ctor(2)))[0]["out"]
    expect_tensor(found, f"{what(ctor(2))} output for embeddings of shape {list(X.shape)}",
                  dtype=torch.float32, shape=[3, 6, 2])


def compare_outputs(student: Any, config: dict[str, Any], hint: str, seed: int = 200) -> None:
    report, reference = call(student, config, [{"x": X}], seed=seed)
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
def test_layer_activations(two_layers: tuple[dict[str, Any], dict[str, Any]]) -> None:
    report, reference = two_layers
    name = what(ctor(2))
    run = module_runs(report, name)[0]
    wanted = module_runs(reference, "reference")[0]["activations"]
    for k in range(2):
        calls = run["activations"].get(f"f.{k}", [])
        check(len(calls) == X.shape[1], f"{name}: self.f[{k}] was called {len(calls)} times "
              f"for a sentence of {X.shape[1]} steps; apply it once per step in layer {k + 1}")
        for t, (found, expected) in enumerate(zip(calls, wanted[f"f.{k}"])):
            expect_equal(found, expected, f"{name}: the hidden state of layer {k + 1} at step "
                         f"{t}", "z[k, t] = f_k(W_k z[k-1, t] + U_k z[k, t-1])", close=True)


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
    report, reference = call(student, config, [{"x": X}], seed=204, backward=True)
    compare_gradients(report, reference, what(config), "the gradient must flow from step t "
                      "back to step t-1 through the hidden state; do not detach it")
