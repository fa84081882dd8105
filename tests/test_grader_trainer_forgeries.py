"""A trainer that forges what the sandboxed child observes gains nothing.

Each case of ``tests/trainer_forgeries/`` (see its README.md) is a broken
implementation of the catalogue whose ``trainer.py`` also rewrites, inside the
child, the model's call log, the optimizer's records, the gradients left after
the epoch, ``torch.is_grad_enabled`` or builtins, so that an observer inside
the child would see a correct trainer. The cases are graded as milestone
submissions in one batch with two workers; each must lose exactly the hidden
tests its broken implementation loses (and nothing elsewhere): the trainer
verdicts rest on values the grader checks itself.

About 30 s on two cores (the batch, plus building the test project once),
hence the slow mark; the case checks are fast.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from test_grader_broken_implementations import (
    BROKEN_DIR,
    SETTINGS,
    Graded,
    Variant,
    apply_variant,
    grade_variants,
    load_variants,
)

REPO = Path(__file__).resolve().parents[1]
CASES_DIR = REPO / "tests" / "trainer_forgeries"
#: Put before each case's ``forge`` code (see tests/trainer_forgeries/README.md).
PREAMBLE = '''

# ---------------------------------------------------------------- forging the observer
import sys as _forge_sys
import types as _forge_types


def harness_modules():
    return [module for module in list(_forge_sys.modules.values())
            if isinstance(module, _forge_types.ModuleType)
            and isinstance(module.__dict__.get("HarnessTagger"), type)]


def wrap(cls, name, after):
    original = getattr(cls, name)

    def wrapped(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        after(self, result)
        return result

    setattr(cls, name, wrapped)


def on_trainer_built(patch):
    original_init = Trainer.__init__
    done = []

    def __init__(self, *args, **kwargs):
        if not done:
            done.append(True)
            patch()
        original_init(self, *args, **kwargs)

    Trainer.__init__ = __init__


'''


@dataclasses.dataclass(frozen=True)
class Forgery:
    """One case: the broken implementation it builds on and the code it appends."""

    name: str
    broken: Variant
    description: str
    forge: str
    observed: dict | None


def load_forgeries() -> list[Forgery]:
    broken = {variant.name: variant for variant in load_variants(BROKEN_DIR)}
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert {"broken", "forges", "forge"} <= set(data) <= {"broken", "forges", "forge",
                                                             "observed"}, path.name
        assert data["broken"] in broken, f"{path.name}: no broken implementation {data['broken']}"
        cases.append(Forgery(path.stem, broken[data["broken"]], " ".join(data["forges"].split()),
                             textwrap.dedent(data["forge"]), data.get("observed")))
    return cases


FORGERIES = load_forgeries()


def forged_text(variant: Variant) -> str:
    """The broken implementation's trainer.py with the case's forging code appended."""
    case = next(case for case in FORGERIES if case.name == variant.name)
    return apply_variant(case.broken) + PREAMBLE + case.forge


def test_there_are_forgeries_of_every_kind() -> None:
    assert len(FORGERIES) >= 6
    assert {case.broken.todos[0] for case in FORGERIES} == {"TODO-3-1", "TODO-3-2"}


@pytest.mark.parametrize("case", FORGERIES, ids=lambda case: case.name)
def test_forgery_compiles(case: Forgery) -> None:
    compile(forged_text(dataclasses.replace(case.broken, name=case.name)), "trainer.py", "exec")


#: Runs one epoch of a forged trainer.py (argv[1]) around the harness, as the child
#: would, and prints what the child observed: the call log and the number of steps.
OBSERVER = """
import json, sys, types
from autograder.hidden_tests import test_trainer
from autograder.sandbox.child.trainer_harness import run_trainer_epoch
module = types.ModuleType("forged_trainer")
exec(compile(open(sys.argv[1]).read(), "trainer.py", "exec"), module.__dict__)
spec = test_trainer.make_spec(sys.argv[2], initial_mode=sys.argv[3])
run = run_trainer_epoch(module.Trainer, spec, lambda exc: {"error": repr(exc)})
print(json.dumps({"calls": run["calls"], "after_steps": len(run["after_steps"])}))
"""


@pytest.mark.parametrize("case", [c for c in FORGERIES if c.observed],
                         ids=lambda case: case.name)
def test_forgery_fools_an_observer_inside_the_child(case: Forgery, tmp_path: Path) -> None:
    """What the forging rewrites is what a verdict resting on the child's observations
    would have used: the call log shows the case's flags, the step log its count."""
    source = tmp_path / "trainer.py"
    source.write_text(forged_text(dataclasses.replace(case.broken, name=case.name)))
    observed = case.observed
    epoch = observed["epoch"]
    initial = observed.get("initial_mode", "train" if epoch == "train" else "eval")
    done = subprocess.run([sys.executable, "-c", OBSERVER, str(source), epoch, initial],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["calls"], case.name
    for flag, value in observed["calls"].items():
        assert all(call[flag] == value for call in seen["calls"]), (case.name, flag, seen)
    if "after_steps" in observed:
        assert seen["after_steps"] == observed["after_steps"], (case.name, seen)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    variants = [dataclasses.replace(case.broken, name=case.name) for case in FORGERIES]
    return grade_variants(variants, tmp_path_factory.mktemp("forgeries"), SETTINGS,
                          text_of=forged_text)


@pytest.mark.slow
@pytest.mark.xdist_group("grader_trainer_forgeries")
@pytest.mark.parametrize("case", FORGERIES, ids=lambda case: case.name)
def test_forgery_gains_nothing(case: Forgery, graded: dict[str, Graded]) -> None:
    result = graded[case.name]
    assert result.status == "graded", f"{case.name}: {result.status}"
    expected = {(todo, test) for todo, tests in case.broken.lost.items() for test in tests}
    assert set(result.failed) == expected, (
        f"{case.name}: the failed tests differ from those of {case.broken.name}\n"
        f"  gained: {sorted(expected - set(result.failed))}\n"
        f"  also lost: {sorted(set(result.failed) - expected)}\n"
        + "".join(f"  {key}: {message}\n" for key, message in sorted(result.failed.items())))
    for todo, (points, maximum) in result.todo_points.items():
        if todo not in case.broken.lost:
            assert points == maximum, f"{case.name} costs {todo} points"
