"""Right model, other names: flagging a model TODO for a TA's review.

The model TODOs (4-1/4-2 FFNN, 5-1/5-2 RNN) are graded on the layer names of
the hint (``W``, ``U``, ``V``): the constructor tests read the parameters by
name, and the forward tests put the grader's layers in under those names. A
model built right under other names (one ``nn.Sequential``, a list of layers)
therefore loses most of their points. That can be the right verdict (the names
are in the hint), but a TA should know, so when a model's named layers are
missing the grader looks further:

1. the child builds the student's module and lists its parameter-holding
   sub-modules in registration order (``layers_in_order``) with the
   parameters' names and shapes;
2. each of the student's ``nn.Linear`` layers, in that order, is matched to the
   first unmatched reference layer (``W``, ``U[k]``, ``V``, in the reference's
   order, or for the RNN also layer by layer: ``W[0], U[0], W[1], ...``) with
   the same weight shape and the same bias presence; parameters of the provided
   code (``f``) keep their names. Every parameter must be matched;
3. the reference's values are loaded that way (strictly) and the student's own
   ``forward`` runs on the grader's embeddings, for several sizes; the parent
   compares the outputs with the reference model's on the same values.

When every size reproduces the reference outputs, the result carries a
:class:`ReviewFinding` ("needs review") with the evidence, shown in the
feedback, the gradebook (``needs_review``) and the class report. The points
follow ``review.misnamed_layers`` of grading.yaml: ``contract`` (default: the
tests' verdicts stand), ``review`` (the failed tests keep 0 points, marked as
left to the TA) or ``full`` (the failed tests of both TODOs get full points).
The check only ever adds a flag or points; it never costs any.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from autograder.grader.result import TestResult
from autograder.hidden_tests.support import random_state, random_tensor, reference_module_run
from autograder.sandbox.failures import SandboxError
from ner_helpers.ffnn import FFNN
from ner_helpers.rnn import RNN

#: The values of ``review.misnamed_layers``.
POLICIES = ("contract", "review", "full")


@dataclass(frozen=True)
class ModelSpec:
    """One model of the TODOs: its class, TODOs, the names of its hint, and the sizes the
    review runs (constructor keyword arguments)."""

    model: str
    title: str
    model_class: type
    todos: tuple[str, ...]
    names: tuple[str, ...]
    sizes: tuple[dict[str, Any], ...]
    inputs: torch.Tensor


SIZES = {"embedding_dim": 10, "hidden_dim": 5, "output_dim": 2}
MODELS = (
    ModelSpec("ffnn", "FFNN", FFNN, ("TODO-4-1", "TODO-4-2"), ("W", "U", "V"),
              tuple({**SIZES, "num_layers": n} for n in (1, 2, 3)),
              random_tensor([3, 4, 10], seed=61)),
    ModelSpec("rnn", "RNN", RNN, ("TODO-5-1", "TODO-5-2"), ("W", "U", "V"),
              ({**SIZES, "num_layers": 1}, {**SIZES, "num_layers": 2},
               {**SIZES, "num_layers": 2, "nonlinearity": "relu"}),
              random_tensor([3, 6, 10], seed=62)),
)
#: Outputs agree when no element differs by more than this.
TOLERANCE = 1e-5


@dataclass(frozen=True)
class ReviewFinding:
    """A model whose named layers are missing but whose own layers, loaded with the
    reference weights in registration order, reproduce the reference outputs."""

    model: str
    todos: tuple[str, ...]
    evidence: tuple[str, ...]
    #: Points the failed tests of ``todos`` lost before the policy was applied.
    points_at_stake: float
    policy: str

    def summary(self) -> str:
        """One line for the gradebook and the class report."""
        return (f"{self.model}: {', '.join(self.todos)} ({self.points_at_stake:g} points, "
                f"{self.policy})")

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "todos": list(self.todos), "evidence": list(self.evidence),
                "points_at_stake": self.points_at_stake, "policy": self.policy}


def _describe(ctor: Mapping[str, Any], title: str) -> str:
    extra = "".join(f", {key}={value!r}" for key, value in ctor.items()
                    if key not in ("embedding_dim", "hidden_dim", "output_dim", "num_layers"))
    return f"{title}(10, 5, 2, num_layers={ctor['num_layers']}{extra})"


def _linear_layers(state: Mapping[str, torch.Tensor]) -> list[tuple[str, tuple[int, ...], bool]]:
    """The reference's linear layers in its own order: (prefix, weight shape, has bias)."""
    layers = []
    for key, tensor in state.items():
        if key.endswith(".weight") and tensor.dim() == 2:
            prefix = key.removesuffix(".weight")
            layers.append((prefix, tuple(tensor.shape), f"{prefix}.bias" in state))
    return layers


def reference_orders(state: Mapping[str, torch.Tensor]) -> list[list[str]]:
    """The orders in which a student may have registered the reference's linear layers:
    the reference's own (``W``, then ``U[k]``, then ``V``) and, for the RNN's layer lists,
    layer by layer (``W[0], U[0], W[1], U[1], ..., V`` and ``U[k]`` before ``W[k]``)."""
    own = [prefix for prefix, _, _ in _linear_layers(state)]
    orders = [own]
    layered = sorted({int(p.split(".")[1]) for p in own if p.startswith("W.") and
                      p.split(".")[1].isdigit()})
    if layered:
        for first, second in (("W", "U"), ("U", "W")):
            order = [f"{name}.{k}" for k in layered for name in (first, second)] + ["V"]
            if sorted(order) == sorted(own) and order not in orders:
                orders.append(order)
    return orders


def match_layers(student_state: Mapping[str, Any], listing: Sequence[Sequence[str]],
                 reference_state: Mapping[str, torch.Tensor],
                 order: Sequence[str] | None = None) -> dict[str, str] | None:
    """``{student parameter name: reference parameter name}`` covering every student
    parameter, or None when no such matching exists.

    The student's ``nn.Linear`` layers (``listing``, registration order) take the first
    unmatched reference linear layer (in ``order``, by default the reference's own) with
    the same weight shape and bias presence; other parameters must carry a reference name
    whose layer is not a linear one (the provided ``f``) and have its shape.
    """
    by_prefix = {prefix: (prefix, shape, bias)
                 for prefix, shape, bias in _linear_layers(reference_state)}
    reference_layers = [by_prefix[prefix] for prefix in (order or list(by_prefix))]
    linear_prefixes = {prefix for prefix, _, _ in reference_layers}
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for path, class_name in listing:
        if class_name != "Linear":
            continue
        weight = student_state.get(f"{path}.weight")
        if not isinstance(weight, torch.Tensor):
            return None
        has_bias = f"{path}.bias" in student_state
        match = next((prefix for prefix, shape, bias in reference_layers
                      if prefix not in taken and shape == tuple(weight.shape)
                      and bias == has_bias), None)
        if match is None:
            return None
        taken.add(match)
        mapping[f"{path}.weight"] = f"{match}.weight"
        if has_bias:
            mapping[f"{path}.bias"] = f"{match}.bias"
    if taken != linear_prefixes:
        return None
    for name, tensor in student_state.items():
        if name in mapping:
            continue
        wanted = reference_state.get(name)
        if wanted is None or name.rsplit(".", 1)[0] in linear_prefixes \
                or not isinstance(tensor, torch.Tensor) or tensor.shape != wanted.shape:
            return None
        mapping[name] = name
    return mapping


def _names_missing(student_state: Mapping[str, Any], spec: ModelSpec,
                   reference_state: Mapping[str, Any]) -> list[str]:
    """The hint's layer names that hold parameters in the reference but none in the
    student's module (of the same size)."""
    return [name for name in spec.names
            if any(key.startswith(f"{name}.") for key in reference_state)
            and not any(key.startswith(f"{name}.") for key in student_state)]


def _check_size(student: Any, spec: ModelSpec, ctor: dict[str, Any], seed: int
                ) -> tuple[str, float] | None:
    """(the matching in words, the largest output difference) for one size, or None when
    the student's module cannot be matched or run."""
    listing_report = student.call(spec.model, "module", module=spec.model,
                                  class_name=spec.title, plan={
                                      "kind": spec.model, "ctor": ctor, "call": "forward",
                                      "list_layers": True, "inputs": []})
    state = (listing_report.get("state") or {}).get("ok")
    listing = (listing_report.get("layers_in_order") or {}).get("ok")
    if not isinstance(state, Mapping) or not isinstance(listing, list):
        return None
    if not all(isinstance(item, list) and len(item) == 2 and all(isinstance(x, str)
                                                                    for x in item)
               for item in listing):
        return None
    reference_state = random_state(spec.model_class, ctor, seed=seed)
    wanted = reference_module_run(spec.model_class, {
        "kind": spec.model, "ctor": ctor, "call": "forward", "state": reference_state,
        "inputs": [{"x": spec.inputs}]})["runs"][0]["ok"]["out"]
    tried: list[dict[str, str]] = []
    for order in reference_orders(reference_state):
        mapping = match_layers(state, listing, reference_state, order)
        if mapping is None or mapping in tried:
            continue
        tried.append(mapping)
        loaded = {name: reference_state[source] for name, source in mapping.items()}
        report = student.call(spec.model, "module", module=spec.model, class_name=spec.title,
                              plan={"kind": spec.model, "ctor": ctor, "call": "forward",
                                    "state": loaded, "inputs": [{"x": spec.inputs}]})
        runs = report.get("runs") or []
        found = (runs[0].get("ok") or {}).get("out") \
            if runs and isinstance(runs[0], Mapping) else None
        if not isinstance(found, torch.Tensor) or found.shape != wanted.shape \
                or found.dtype != wanted.dtype:
            continue
        difference = float((found - wanted).detach().abs().max()) if found.numel() else 0.0
        if difference <= TOLERANCE:
            words = ", ".join(f"{name.removesuffix('.weight')} {list(state[name].shape)} as "
                              f"{source.removesuffix('.weight')}"
                              for name, source in mapping.items()
                              if name.endswith(".weight") and source != name)
            return words, difference
    return None


def review_model(student: Any, spec: ModelSpec) -> tuple[str, ...] | None:
    """The evidence that ``spec``'s model is right under other names, or None."""
    largest = spec.sizes[-1]  # every name of the hint holds parameters at this size
    report = student.call(spec.model, "module", module=spec.model, class_name=spec.title,
                          plan={"kind": spec.model, "ctor": largest, "call": "forward",
                                "inputs": []})
    state = (report.get("state") or {}).get("ok")
    if not isinstance(state, Mapping):
        return None
    missing = _names_missing(state, spec, spec.model_class(**largest).state_dict())
    if not missing:
        return None
    matched = []
    difference = 0.0
    for index, ctor in enumerate(spec.sizes):
        checked = _check_size(student, spec, ctor, seed=700 + index)
        if checked is None:
            return None
        matched.append((ctor, checked[0]))
        difference = max(difference, checked[1])
    names = ", ".join(sorted(state))
    evidence = [f"{_describe(largest, spec.title)} has no layers named {', '.join(missing)} "
                f"(its parameters: {names})."]
    for ctor, words in matched:
        evidence.append(f"{_describe(ctor, spec.title)}: its nn.Linear layers in "
                        f"registration order, loaded with the reference weights, are {words}.")
    evidence.append(f"With those weights its own forward gives the reference's outputs for "
                    f"all {len(spec.sizes)} sizes (largest difference {difference:.1e}): the "
                    f"model is right, but the hint's names ({', '.join(spec.names)}) are "
                    "not used, so the tests of the names cannot credit it.")
    return tuple(evidence)


def review_misnamed_layers(student: Any, tests: list[TestResult], todos: Sequence[str],
                           policy: str) -> tuple[list[TestResult], list[ReviewFinding]]:
    """The tests after ``policy`` and the findings, for every model whose TODOs were graded
    and lost points. A sandbox failure during the review leaves the model unflagged."""
    findings = []
    for spec in MODELS:
        if not all(todo in todos for todo in spec.todos):
            continue
        failed = [test for test in tests if test.todo in spec.todos and not test.passed]
        if not failed:
            continue
        try:
            evidence = review_model(student, spec)
        except SandboxError:
            evidence = None
        if evidence is None:
            continue
        at_stake = round(sum(test.max_points - test.points for test in failed), 6)
        findings.append(ReviewFinding(spec.model, spec.todos, evidence, at_stake, policy))
    return apply_policy(tests, findings, policy), findings


def apply_policy(tests: list[TestResult], findings: Sequence[ReviewFinding], policy: str
                 ) -> list[TestResult]:
    """``tests`` with the failed tests of flagged TODOs changed as ``policy`` says."""
    if policy not in POLICIES:
        raise ValueError(f"unknown review policy {policy!r}")
    flagged = {todo for finding in findings for todo in finding.todos}
    changed = []
    for test in tests:
        if test.todo in flagged and not test.passed:
            if policy == "full":
                test = replace(test, points=test.max_points, passed=True,
                               message="full points after review: the model is right under "
                                       "other layer names (see Needs review)")
            elif policy == "review":
                test = replace(test, message="left to the TA's review (the model is right "
                               "under other layer names; see Needs review): " + test.message)
        changed.append(test)
    return changed
