"""Loading the kit's YAML configuration.

All settings live in YAML files under ``ner_helpers/configs/``: ``kit.yaml``
for what every command shares, one file per experiment (``ffnn.yaml``,
``rnn.yaml``, ...). Commands accept ``--config PATH`` to use another file and
``--set key.sub=value`` to override single values.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from ner_helpers.errors import KitError

#: The folder of the YAML files shipped with the package.
CONFIG_DIR = Path(__file__).resolve().parent / "configs"


def project_root() -> Path:
    """The folder commands resolve relative paths against.

    It is the nearest parent of the working directory holding a ``pyproject.toml``
    or a ``ner_helpers`` folder (the kit's root); else the working directory.
    """
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "ner_helpers").is_dir() or (folder / "pyproject.toml").is_file():
            return folder
    return here


def resolve_path(path: str | Path, root: Path | None = None) -> Path:
    """Make ``path`` absolute, relative to :func:`project_root` when it is relative."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else (root or project_root()) / path


def bundled_config_path(name: str) -> Path:
    """Path of a config shipped with the package, e.g. ``bundled_config_path("rnn")``."""
    filename = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    path = CONFIG_DIR / filename
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise KitError(f"no bundled config named {name!r}; known: {', '.join(known)}")
    return path


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read one YAML mapping, with a clear error for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise KitError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KitError(f"{path}: not valid YAML ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KitError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def load_config(name_or_path: str | Path) -> dict[str, Any]:
    """Load a bundled config by name (``"kit"``, ``"rnn"``) or any YAML file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return load_yaml(candidate)
    if candidate.suffix in (".yaml", ".yml") and len(candidate.parts) > 1:
        raise KitError(f"{candidate}: config file not found")
    return load_yaml(bundled_config_path(str(name_or_path)))


def kit_config() -> dict[str, Any]:
    """The shared settings of ``kit.yaml``."""
    return load_config("kit")


def apply_overrides(config: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Return a copy of ``config`` with ``key.sub=value`` overrides applied.

    Values are parsed as YAML, so ``--set training.epochs=3`` gives an int and
    ``--set model.nonlinearity=relu`` a string.
    """
    result = copy.deepcopy(config)
    for item in overrides or []:
        if "=" not in item:
            raise KitError(f"override {item!r} must look like key.sub=value")
        dotted, raw = item.split("=", 1)
        keys = dotted.strip().split(".")
        node = result
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise KitError(f"override {item!r}: {key!r} is not a section")
            node = child
        node[keys[-1]] = yaml.safe_load(raw)
    return result
