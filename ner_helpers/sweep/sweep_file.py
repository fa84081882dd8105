"""The sweep file: a base experiment config, the axes to vary and how to search them.

.. code-block:: yaml

    name: depth                 # the study's name
    base: rnn                   # ffnn, rnn or a config file (relative to this file)
    settings:                   # config values every trial gets (dotted keys)
      training.epochs: 3
    axes:                       # dotted config keys -> values (grid) or ranges (tpe)
      model.num_layers: [1, 2, 3, 4]
    linked:                     # optional: settings implied by one axis value
      training.optimizer:
        sgd: {training.lr: 0.1}
    sampler: grid               # grid (every combination) or tpe (Optuna's TPE)
    trials: 4                   # the budget: grid size by default, required for tpe
    metric: weighted_f1         # validation entity F1 (weighted_f1 or micro_f1)
    pruning: false              # median pruner on the per-epoch validation metric
    heartbeat_seconds: 20       # a worker silent for 3 heartbeats counts as killed
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ner_helpers.config import apply_overrides, load_config
from ner_helpers.errors import KitError
from ner_helpers.experiment import OPTIMIZERS
from ner_helpers.model_config import CELLS, ModelConfig

SAMPLERS = ("grid", "tpe")
METRICS = ("weighted_f1", "micro_f1")
TOP_KEYS = ("name", "base", "settings", "axes", "linked", "sampler", "trials", "metric",
            "pruning", "seed", "heartbeat_seconds", "description")
#: Config keys whose values come from a fixed list.
CHOICES: dict[str, tuple] = {
    "training.optimizer": tuple(OPTIMIZERS),
    "model.cell": CELLS,
    "model.nonlinearity": ("tanh", "relu", "prelu"),
    "model.model_type": ("ffnn", "rnn"),
    "collator.padding": ("longest", "max_length"),
}
#: Keys a trial may set although the base config leaves them out, with their type.
OPTIONAL_KEYS: dict[str, type] = {
    "data.max_train": int, "data.max_val": int, "training.weight_decay": float,
    "training.grad_clip_max_norm": float, "training.average_last_epochs": int,
    "training.group_by_length": bool, "training.use_class_weights": bool,
}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Axis:
    """One varied config key: a list of values, or a numeric range (sampled only)."""

    key: str
    values: tuple | None = None      # grid points / categorical choices
    low: float | None = None         # numeric range (tpe)
    high: float | None = None
    log: bool = False
    integer: bool = False


@dataclass
class SweepFile:
    """A checked sweep file; :meth:`trial_config` gives the config of one point."""

    path: Path
    name: str
    base_name: str
    base: dict[str, Any]
    axes: list[Axis]
    linked: dict[str, dict[Any, dict[str, Any]]] = field(default_factory=dict)
    sampler: str = "grid"
    trials: int = 0
    metric: str = "weighted_f1"
    pruning: bool = False
    seed: int = 0
    heartbeat_seconds: float = 20.0
    raw: dict[str, Any] = field(default_factory=dict)

    def grid(self) -> list[dict[str, Any]]:
        """Every combination of the axes' values, in file order (grid sampler only)."""
        keys = [axis.key for axis in self.axes]
        return [dict(zip(keys, combo))
                for combo in itertools.product(*(axis.values for axis in self.axes))]

    def budget(self) -> int:
        """The number of trials to complete."""
        if self.sampler == "grid":
            return min(self.trials or len(self.grid()), len(self.grid()))
        return self.trials

    def trial_config(self, params: dict[str, Any]) -> dict[str, Any]:
        """The base config with one point's values (and the settings linked to them)."""
        return apply_overrides(self.base, dotted_overrides(self.point_settings(params)))

    def point_settings(self, params: dict[str, Any]) -> dict[str, Any]:
        settings = dict(params)
        for key, value in params.items():
            settings.update(self.linked.get(key, {}).get(value, {}))
        return settings

    def fingerprint(self) -> str:
        """A hash of everything that decides the trials: a study made from another
        file under the same name has another fingerprint."""
        decisive = {k: v for k, v in self.raw.items() if k not in ("description", "trials",
                                                                   "heartbeat_seconds")}
        text = json.dumps(decisive, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def dotted_overrides(settings: dict[str, Any]) -> list[str]:
    """``{"training.lr": 0.1}`` -> ``["training.lr=0.1"]`` in the ``--set`` form."""
    return [f"{key}={json.dumps(value)}" for key, value in settings.items()]


def key_lines(text: str) -> dict[str, int]:
    """1-based line of each key of the file's mappings, by dotted path
    (``axes.model.cell`` for the key ``model.cell`` under ``axes``)."""
    lines: dict[str, int] = {}
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lines

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                path = f"{prefix}{key_node.value}"
                lines.setdefault(path, key_node.start_mark.line + 1)
                walk(value_node, path + ":")

    walk(root, "")
    return lines


class _Checker:
    """Raises one ``FILE:LINE: key: problem`` error for the first mistake found."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = key_lines(text)

    def fail(self, where: str, problem: str) -> KitError:
        line = self.lines.get(where)
        if line is None and ":" in where:
            line = self.lines.get(where.rsplit(":", 1)[0])
        location = f"{self.path}:{line}" if line else str(self.path)
        return KitError(f"{location}: {where.replace(':', ' ')}: {problem}")


def _lookup(config: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _expected_type(base: dict[str, Any], key: str) -> type | None:
    """The type a value of ``key`` must have, or None when the key is unknown."""
    section, _, leaf = key.partition(".")
    found, value = _lookup(base, key)
    if key in OPTIONAL_KEYS:
        return OPTIONAL_KEYS[key]
    if section == "model" and leaf in {f.name for f in ModelConfig.__dataclass_fields__.values()
                                       } - {"vocab_size"}:
        default = ModelConfig.__dataclass_fields__[leaf].default
        return type(default) if found is False or value is None else type(value)
    if not found or isinstance(value, dict):
        return None
    return type(value) if value is not None else object


def _type_ok(value: Any, expected: type) -> bool:
    if expected is object:
        return True
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _check_value(check: _Checker, where: str, key: str, value: Any, base: dict) -> None:
    expected = _expected_type(base, key)
    if expected is None:
        raise check.fail(where, f"unknown config key {key!r} (not in the base config)")
    if key in CHOICES and value not in CHOICES[key]:
        raise check.fail(where, f"{value!r} is not one of {list(CHOICES[key])}")
    if not _type_ok(value, expected):
        raise check.fail(where, f"{value!r} is a {type(value).__name__}, expected a "
                                f"{expected.__name__}")


#: The seed sweeps shipped with the kit (``ner-kit sweep depth`` finds ``depth.yaml``).
SEED_DIR = Path(__file__).resolve().parent / "seeds"


def seed_sweeps() -> list[str]:
    return sorted(path.stem for path in SEED_DIR.glob("*.yaml"))


def load_sweep_file(path: str | Path) -> SweepFile:
    """Read and check a sweep file (a path, or the name of a seed sweep); every mistake
    is a :class:`KitError` naming the file, the line and the key."""
    path = Path(path)
    if not path.is_file() and path.suffix == "" and len(path.parts) == 1:
        if (SEED_DIR / f"{path}.yaml").is_file():
            path = SEED_DIR / f"{path}.yaml"
        else:
            raise KitError(f"{path}: no such sweep file or seed sweep; seeds: "
                           f"{', '.join(seed_sweeps())}")
    if not path.is_file():
        raise KitError(f"{path}: sweep file not found")
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KitError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    check = _Checker(path, text)
    if not isinstance(raw, dict):
        raise KitError(f"{path}: expected a mapping at the top level")
    for key in raw:
        if key not in TOP_KEYS:
            raise check.fail(str(key), f"unknown key; known keys: {', '.join(TOP_KEYS)}")

    name = str(raw.get("name") or path.stem)
    if not NAME_PATTERN.match(name):
        raise check.fail("name", f"{name!r}: use letters, digits, '.', '_' and '-'")
    base_name = raw.get("base")
    if not isinstance(base_name, str) or not base_name:
        raise check.fail("base", "give ffnn, rnn or a config file")
    base_path = path.parent / base_name
    try:
        base = load_config(base_path if base_path.suffix in (".yaml", ".yml") else base_name)
    except KitError as exc:
        raise check.fail("base", str(exc)) from None
    base = copy.deepcopy(base)

    settings = raw.get("settings") or {}
    if not isinstance(settings, dict):
        raise check.fail("settings", "expected a mapping of dotted keys to values")
    for key, value in settings.items():
        _check_value(check, f"settings:{key}", str(key), value, base)
    base = apply_overrides(base, dotted_overrides(settings))

    sampler = raw.get("sampler", "grid")
    if sampler not in SAMPLERS:
        raise check.fail("sampler", f"{sampler!r} is not one of {list(SAMPLERS)}")
    axes_raw = raw.get("axes")
    if not isinstance(axes_raw, dict) or not axes_raw:
        raise check.fail("axes", "the grid is empty: give at least one axis with values")
    axes = [_read_axis(check, str(key), spec, base, sampler) for key, spec in axes_raw.items()]

    linked = _read_linked(check, raw.get("linked") or {}, axes, base)
    trials = raw.get("trials", 0)
    if not _type_ok(trials, int) or trials < 0 or (sampler == "tpe" and trials < 1):
        raise check.fail("trials", f"{trials!r}: give a positive number of trials")
    metric = raw.get("metric", "weighted_f1")
    if metric not in METRICS:
        raise check.fail("metric", f"{metric!r} is not one of {list(METRICS)}")
    for key, kind in (("pruning", bool), ("seed", int), ("heartbeat_seconds", float)):
        if key in raw and not _type_ok(raw[key], kind):
            raise check.fail(key, f"{raw[key]!r} is not a {kind.__name__}")
    if float(raw.get("heartbeat_seconds", 20)) <= 0:
        raise check.fail("heartbeat_seconds", "must be positive")

    sweep = SweepFile(path=path, name=name, base_name=base_name, base=base, axes=axes,
                      linked=linked, sampler=sampler, trials=int(trials), metric=metric,
                      pruning=bool(raw.get("pruning", False)), seed=int(raw.get("seed", 0)),
                      heartbeat_seconds=float(raw.get("heartbeat_seconds", 20)), raw=raw)
    if sampler == "grid":
        for point in sweep.grid():
            _check_point(check, sweep, point)
    return sweep


def _read_axis(check: _Checker, key: str, spec: Any, base: dict, sampler: str) -> Axis:
    where = f"axes:{key}"
    if isinstance(spec, list):
        if not spec:
            raise check.fail(where, "the grid is empty: the axis has no values")
        if len(set(map(json.dumps, spec))) != len(spec):
            raise check.fail(where, "a value appears twice")
        for value in spec:
            _check_value(check, where, key, value, base)
        return Axis(key, values=tuple(spec))
    if isinstance(spec, dict) and sampler == "tpe":
        unknown = set(spec) - {"low", "high", "log"}
        if unknown or "low" not in spec or "high" not in spec:
            raise check.fail(where, "a range needs low and high (and optionally log)")
        low, high = spec["low"], spec["high"]
        for value in (low, high):
            _check_value(check, where, key, value, base)
        if not low < high:
            raise check.fail(where, f"low {low!r} must be below high {high!r}")
        integer = _expected_type(base, key) is int
        return Axis(key, low=low, high=high, log=bool(spec.get("log", False)), integer=integer)
    if isinstance(spec, dict):
        raise check.fail(where, "the grid sampler needs a list of values")
    raise check.fail(where, "expected a list of values (or low/high for tpe)")


def _read_linked(check: _Checker, linked: Any, axes: list[Axis], base: dict) -> dict:
    if not isinstance(linked, dict):
        raise check.fail("linked", "expected axis -> value -> settings")
    axis_values = {axis.key: axis.values for axis in axes}
    result: dict[str, dict[Any, dict[str, Any]]] = {}
    for key, per_value in linked.items():
        where = f"linked:{key}"
        if key not in axis_values or axis_values[key] is None:
            raise check.fail(where, "not an axis with a list of values")
        if not isinstance(per_value, dict):
            raise check.fail(where, "expected value -> settings")
        result[key] = {}
        for value, settings in per_value.items():
            if value not in axis_values[key]:
                raise check.fail(f"{where}:{value}", f"{value!r} is not a value of the axis")
            if not isinstance(settings, dict):
                raise check.fail(f"{where}:{value}", "expected a mapping of settings")
            for setting, setting_value in settings.items():
                _check_value(check, f"{where}:{value}", str(setting), setting_value, base)
            result[key][value] = dict(settings)
    return result


def _check_point(check: _Checker, sweep: SweepFile, point: dict[str, Any]) -> None:
    """Build the model config of one point, so that a combination the models refuse
    (a bidirectional hand-written RNN, say) is reported before any trial starts."""
    config = sweep.trial_config(point)
    try:
        ModelConfig.from_dict({**config["model"], "vocab_size": 10})
    except KitError as exc:
        where = next((f"axes:{key}" for key in point if key.startswith("model.")), "axes")
        raise check.fail(where, f"the point {point} is not a valid model: {exc}") from None
