"""Where a dataset comes from: a CoNLL directory, a JSON directory or a hub dataset.

A source is given as a string:

- ``hub:OWNER/NAME`` is a Hugging Face hub dataset (``hub:Babelscape/wikineural``);
- anything else is a directory, relative to the project root or absolute. It
  holds one file per split, named as ``data.conll_names`` or ``data.json_names``
  of ``kit.yaml`` list (the first name that exists wins). With format ``auto``
  the directory is read as CoNLL when it holds any of the CoNLL names, as JSON
  when it holds only JSON names.
- no source at all means the sample corpus bundled with the kit
  (``paths.sample_source``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ner_helpers.config import resolve_path
from ner_helpers.errors import KitError, located

HUB_PREFIX = "hub:"
FORMATS = ("auto", "conll", "json")


@dataclass(frozen=True)
class Source:
    """A resolved source: its kind (``conll``, ``json`` or ``hub``) and location."""

    kind: str
    location: str

    @property
    def path(self) -> Path:
        """The directory of a ``conll`` or ``json`` source."""
        return Path(self.location)

    def describe(self) -> str:
        """A one-line description for reports and the manifest."""
        if self.kind == "hub":
            return f"Hugging Face hub dataset {self.location}"
        kind = "CoNLL" if self.kind == "conll" else "JSON"
        return f"{kind} files in {self.location}"


def setting(config: Mapping[str, Any], dotted: str) -> Any:
    """The value at ``dotted`` (``"data.conll_names"``) in a config, or a clear error."""
    node: Any = config
    for key in dotted.split("."):
        if not isinstance(node, Mapping) or key not in node:
            raise KitError(f"the configuration has no setting {dotted!r} (see kit.yaml)")
        node = node[key]
    return node


def find_split_file(directory: Path, split: str, candidates: Sequence[str]) -> Path:
    """The first of ``candidates`` that exists in ``directory``, or a located error."""
    if not candidates:
        raise KitError(f"the configuration lists no file names for split {split!r}")
    for name in candidates:
        path = directory / name
        if path.is_file():
            return path
    raise located(
        directory, None, f"split {split!r} is missing: none of {', '.join(candidates)} found"
    )


def _holds_any(directory: Path, names: Mapping[str, Sequence[str]]) -> bool:
    return any((directory / name).is_file() for candidates in names.values() for name in candidates)


def resolve_source(
    spec: str | Path | None, config: Mapping[str, Any], source_format: str = "auto"
) -> Source:
    """Turn a source string (or ``None`` for the sample) into a :class:`Source`."""
    if source_format not in FORMATS:
        raise KitError(f"unknown source format {source_format!r}; use one of {', '.join(FORMATS)}")
    if spec is None:
        spec = str(setting(config, "paths.sample_source"))
    spec = str(spec)
    if spec.startswith(HUB_PREFIX):
        dataset_id = spec[len(HUB_PREFIX) :].strip()
        if not dataset_id:
            raise KitError(f"{spec!r}: give a dataset id after 'hub:' (hub:Babelscape/wikineural)")
        if source_format != "auto":
            raise KitError(f"--format {source_format} applies to directories, not to {spec}")
        return Source("hub", dataset_id)

    directory = resolve_path(spec).resolve()
    if not directory.exists():
        raise located(directory, None, "source directory not found")
    if not directory.is_dir():
        raise located(directory, None, "the source must be a directory holding one file per split")
    if source_format != "auto":
        return Source(source_format, str(directory))

    conll_names = setting(config, "data.conll_names")
    json_names = setting(config, "data.json_names")
    has_conll = _holds_any(directory, conll_names)
    has_json = _holds_any(directory, json_names)
    if has_conll and has_json:
        raise located(
            directory, None, "holds both CoNLL and JSON split files; choose one with --format"
        )
    if has_conll:
        return Source("conll", str(directory))
    if has_json:
        return Source("json", str(directory))
    looked_for = sorted(
        {name for table in (conll_names, json_names) for names in table.values() for name in names}
    )
    raise located(directory, None, f"no split files found; looked for {', '.join(looked_for)}")
