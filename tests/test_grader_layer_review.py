"""Right model, other names: the "needs review" flag of the model TODOs.

An FFNN built as one ``nn.Sequential`` and an RNN built as a list of per-layer
``[W_k, U_k]`` pairs are right, but their layers are not named ``W``, ``U``,
``V``: the hidden tests of the names fail, and the grader flags the TODOs for a
TA with the evidence (their layers, loaded with the reference weights in
registration order, reproduce the reference outputs). The same models with a bug
(no ReLU, no nonlinearity) are not flagged, and neither is a model with the
hint's names whose forward is wrong only on edge sizes. The five are graded in
one batch (about 20 s), then one of them under the ``review`` and ``full``
settings.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
import torch
from test_grader_broken_implementations import SETTINGS, Variant, apply_variant
from test_grader_fixtures import (
    hidden_labels,
    reference_submission,
    trained_project,
    variant_submission,
)

from autograder.grader import grade_batch, grade_submission
from autograder.grader.layer_review import (
    apply_policy,
    match_layers,
    reference_orders,
)
from autograder.grader.result import TestResult
from autograder.hidden_tests.support import random_state
from ner_helpers.ffnn import FFNN
from ner_helpers.rnn import RNN

SEQUENTIAL_FFNN = """\
layers = [nn.Linear(embedding_dim, hidden_dim), nn.ReLU()]
for _ in range(num_layers - 1):
    layers += [nn.Linear(hidden_dim, hidden_dim), nn.ReLU()]
self.net = nn.Sequential(*layers, nn.Linear(hidden_dim, output_dim))
"""
RNN_LAYER_LIST = """\
self.cells = nn.ModuleList(
    [nn.ModuleList([nn.Linear(embedding_dim if k == 0 else hidden_dim, hidden_dim, bias=bias),
                    nn.Linear(hidden_dim, hidden_dim, bias=bias)])
     for k in range(num_layers)])
self.out = nn.Linear(hidden_dim, output_dim)
"""
RNN_LAYER_LIST_FORWARD = """\
below = embeddings
for k, (w_k, u_k) in enumerate(self.cells):
    hidden, states = h0[k], []
    for t in range(seq_len):
        hidden = {activation}(w_k(below[:, t]) + u_k(hidden))
        states.append(hidden)
    below = torch.stack(states, dim=1)
return self.out(below)
"""


def variant(name: str, file: str, todos: tuple[str, str], solutions: dict[str, str]) -> Variant:
    return Variant(name=name, path=Path(f"{name}.yaml"), file=file, todos=todos,
                   description=name, change=(), solutions=solutions, lost={}, messages={})


FFNN_RIGHT = variant("ffnn-sequential", "ffnn.py", ("TODO-4-1", "TODO-4-2"), {
    "TODO-4-1": SEQUENTIAL_FFNN, "TODO-4-2": "return self.net(embeddings)\n"})
FFNN_WRONG = variant("ffnn-sequential-no-relu", "ffnn.py", ("TODO-4-1", "TODO-4-2"), {
    "TODO-4-1": SEQUENTIAL_FFNN.replace(", nn.ReLU()", ""),
    "TODO-4-2": "return self.net(embeddings)\n"})
RNN_RIGHT = variant("rnn-layer-list", "rnn.py", ("TODO-5-1", "TODO-5-2"), {
    "TODO-5-1": RNN_LAYER_LIST,
    "TODO-5-2": RNN_LAYER_LIST_FORWARD.format(activation="self.f[k]")})
RNN_WRONG = variant("rnn-layer-list-no-nonlinearity", "rnn.py", ("TODO-5-1", "TODO-5-2"), {
    "TODO-5-1": RNN_LAYER_LIST,
    "TODO-5-2": RNN_LAYER_LIST_FORWARD.format(activation="")})
#: Named as the hint says and wrong on the edge sizes only: its outputs on the review's
#: inputs are right, but its names are there, so it is no case for a review.
FFNN_NAMED_BROKEN = variant("ffnn-named-squeezed", "ffnn.py", ("TODO-4-1", "TODO-4-2"), {
    "TODO-4-1": "self.W = nn.Linear(embedding_dim, hidden_dim)\n"
                "self.U = nn.ModuleList([nn.Linear(hidden_dim, hidden_dim)\n"
                "                        for _ in range(num_layers - 1)])\n"
                "self.V = nn.Linear(hidden_dim, output_dim)\n",
    "TODO-4-2": "hidden = self.f[0](self.W(embeddings))\n"
                "for k, layer in enumerate(self.U, start=1):\n"
                "    hidden = self.f[k](layer(hidden))\n"
                "return self.V(hidden).squeeze()\n"})
VARIANTS = (FFNN_RIGHT, FFNN_WRONG, RNN_RIGHT, RNN_WRONG, FFNN_NAMED_BROKEN)


# ---------------------------------------------------------------------------- fast checks
def test_linear_layers_match_in_registration_order() -> None:
    ctor = {"embedding_dim": 10, "hidden_dim": 5, "output_dim": 2, "num_layers": 3}
    reference = random_state(FFNN, ctor, seed=1)
    student = {"net.0.weight": torch.zeros(5, 10), "net.0.bias": torch.zeros(5),
               "net.2.weight": torch.zeros(5, 5), "net.2.bias": torch.zeros(5),
               "net.4.weight": torch.zeros(5, 5), "net.4.bias": torch.zeros(5),
               "net.6.weight": torch.zeros(2, 5), "net.6.bias": torch.zeros(2)}
    listing = [["net.0", "Linear"], ["net.2", "Linear"], ["net.4", "Linear"],
               ["net.6", "Linear"]]
    assert match_layers(student, listing, reference) == {
        "net.0.weight": "W.weight", "net.0.bias": "W.bias", "net.2.weight": "U.0.weight",
        "net.2.bias": "U.0.bias", "net.4.weight": "U.1.weight", "net.4.bias": "U.1.bias",
        "net.6.weight": "V.weight", "net.6.bias": "V.bias"}
    # a missing bias, a missing layer, or a parameter of another kind: no matching
    assert match_layers({k: v for k, v in student.items() if k != "net.6.bias"}, listing,
                        reference) is None
    assert match_layers(student, listing[:3], reference) is None
    assert match_layers({**student, "scale": torch.ones(1)}, listing, reference) is None


def test_rnn_layers_may_be_registered_layer_by_layer() -> None:
    ctor = {"embedding_dim": 10, "hidden_dim": 5, "output_dim": 2, "num_layers": 2}
    reference = random_state(RNN, ctor, seed=1)
    orders = reference_orders(reference)
    assert orders[0] == ["W.0", "W.1", "U.0", "U.1", "V"]
    assert ["W.0", "U.0", "W.1", "U.1", "V"] in orders
    student = {"cells.0.0.weight": torch.zeros(5, 10), "cells.0.1.weight": torch.zeros(5, 5),
               "cells.1.0.weight": torch.zeros(5, 5), "cells.1.1.weight": torch.zeros(5, 5),
               "out.weight": torch.zeros(2, 5), "out.bias": torch.zeros(2)}
    student.update({name.replace("weight", "bias"): torch.zeros(5) for name in list(student)
                    if name.startswith("cells")})
    listing = [["cells.0.0", "Linear"], ["cells.0.1", "Linear"], ["cells.1.0", "Linear"],
               ["cells.1.1", "Linear"], ["out", "Linear"]]
    layered = match_layers(student, listing, reference, ["W.0", "U.0", "W.1", "U.1", "V"])
    assert layered is not None and layered["cells.0.1.weight"] == "U.0.weight"
    assert layered["cells.1.0.weight"] == "W.1.weight"


def test_policies_decide_the_points() -> None:
    from autograder.grader.layer_review import ReviewFinding

    tests = [TestResult("TODO-4-1", "FFNN.__init__", "layer_counts", 0.0, 2.0, False, "no U"),
             TestResult("TODO-4-2", "FFNN.forward", "output_shape", 0.5, 0.5, True, ""),
             TestResult("TODO-5-1", "RNN.__init__", "layer_counts", 0.0, 2.0, False, "no W")]
    finding = ReviewFinding("ffnn", ("TODO-4-1", "TODO-4-2"), ("evidence",), 2.0, "full")
    assert apply_policy(tests, [finding], "contract") == tests
    full = apply_policy(tests, [finding], "full")
    assert [t.points for t in full] == [2.0, 0.5, 0.0] and full[0].passed
    review = apply_policy(tests, [finding], "review")
    assert [t.points for t in review] == [0.0, 0.5, 0.0]
    assert review[0].message.startswith("left to the TA's review") and "no U" in \
        review[0].message
    assert review[2] == tests[2]


# ---------------------------------------------------------------------------- grading
@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    root = tmp_path_factory.mktemp("layer-review")
    project = trained_project(root / "project-root")
    base = reference_submission(project, "final", root / "base")
    folder = root / "submissions"
    folder.mkdir()
    for item in VARIANTS:
        variant_submission(base, folder / f"{item.name}.zip",
                           {f"ner_helpers/{item.file}": apply_variant(item)})
    out = root / "graded"
    grade_batch(folder, out, workers=2, kind="final", settings=SETTINGS,
                hidden_labels=hidden_labels(project), progress=False)
    with open(out / "gradebook.csv", encoding="utf-8") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    return out, rows


@pytest.mark.slow
def test_right_models_under_other_names_are_flagged(graded: tuple[Path, dict[str, dict]]
                                                    ) -> None:
    out, rows = graded
    for item, model, todos in ((FFNN_RIGHT, "FFNN", "TODO-4-1, TODO-4-2"),
                               (RNN_RIGHT, "RNN", "TODO-5-1, TODO-5-2")):
        row = rows[item.name]
        first, second = todos.split(", ")
        lost = sum(SETTINGS.todos[todo].max_points for todo in (first, second)) \
            - float(row[first]) - float(row[second])
        assert lost > 5  # the names cost most of the points (contract, the default)
        assert row["needs_review"] == f"{model.lower()}: {todos} ({lost:g} points, contract)"
        feedback = (out / item.name / "feedback.md").read_text()
        section = feedback.split("## Needs review", 1)[1].split("\n## ", 1)[0]
        assert (f"{model} ({todos}, {lost:g} points at stake): the tests' points "
                "stand") in section
        assert "has no layers named W, U, V" in section
        assert "loaded with the reference weights" in section
        assert "gives the reference's outputs for all 3 sizes" in section
    ffnn_section = (out / FFNN_RIGHT.name / "feedback.md").read_text()
    # square brackets come escaped for Markdown
    assert r"net.0 \[5, 10\] as W, net.2 \[5, 5\] as U.0, net.4 \[2, 5\] as V" in ffnn_section
    rnn_section = (out / RNN_RIGHT.name / "feedback.md").read_text()
    assert r"cells.0.1 \[5, 5\] as U.0, cells.1.0 \[5, 5\] as W.1" in rnn_section
    report = (out / "class-report.html").read_text()
    listed = report.split("<h2>Needs review</h2>", 1)[1]
    assert FFNN_RIGHT.name in listed and RNN_RIGHT.name in listed


@pytest.mark.slow
def test_wrong_models_under_other_names_are_not_flagged(
        graded: tuple[Path, dict[str, dict]]) -> None:
    out, rows = graded
    assert float(rows[FFNN_NAMED_BROKEN.name]["TODO-4-2"]) < SETTINGS.todos["TODO-4-2"].max_points
    for item in (FFNN_WRONG, RNN_WRONG, FFNN_NAMED_BROKEN):
        assert rows[item.name]["needs_review"] == ""
        assert "## Needs review" not in (out / item.name / "feedback.md").read_text()
    listed = (out / "class-report.html").read_text().split("<h2>Needs review</h2>", 1)[1]
    assert FFNN_WRONG.name not in listed and RNN_WRONG.name not in listed


@pytest.mark.slow
def test_the_setting_decides_the_points(graded: tuple[Path, dict[str, dict]],
                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    out, rows = graded
    submission = out.parent / "submissions" / f"{FFNN_RIGHT.name}.zip"
    project = trained_project(out.parent / "project-root")
    results = {}
    for policy in ("review", "full"):
        settings = dataclasses.replace(SETTINGS, misnamed_layers=policy)
        results[policy] = grade_submission(submission, kind="final", settings=settings,
                                           hidden_labels=hidden_labels(project))
    contract = float(rows[FFNN_RIGHT.name]["score"])
    assert results["review"].score == contract
    review_failed = [t for t in results["review"].tests
                     if t.todo in ("TODO-4-1", "TODO-4-2") and not t.passed]
    assert review_failed and all(t.message.startswith("left to the TA's review")
                                 for t in review_failed)
    todo_points = results["full"].todo_points()
    assert todo_points["TODO-4-1"] == (6.0, 6.0) and todo_points["TODO-4-2"] == (7.0, 7.0)
    assert [f.policy for f in results["full"].reviews] == ["full"]
