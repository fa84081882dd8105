"""The dataset build: read a source, repair and check it, write the kit's files.

Steps: resolve the source (:mod:`~ner_helpers.data.source`), read every split
with the matching reader (each checks its input and names file and line on a
problem), rewrite stray ``I-`` tags to ``B-`` (:mod:`~ner_helpers.data.tags`),
number the tokens, then write, all or nothing:

- ``OUT/train.json``, ``OUT/val.json`` with labels, ``OUT/test.json`` without;
- the test labels, only to the instructor-only hidden labels file;
- ``OUT/manifest.json``: the source and the counts of the report.

Nothing is written until every split has been read and checked, so a failed
build leaves earlier outputs as they were.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ner_helpers.config import kit_config, project_root, resolve_path
from ner_helpers.data.conll_reader import read_conll_dir
from ner_helpers.data.corpus import SplitSource
from ner_helpers.data.hub_reader import read_hub
from ner_helpers.data.json_reader import read_json_dir
from ner_helpers.data.records import dump_rows, hidden_label_rows, rows_from_sentences
from ner_helpers.data.report import BuildReport, SplitReport
from ner_helpers.data.source import Source, resolve_source, setting
from ner_helpers.data.staging import write_all_or_nothing
from ner_helpers.data.tags import BEGIN_PREFIX, normalise_stray_inside
from ner_helpers.errors import KitError

SPLIT_FILE_SUFFIX = ".json"


def _read_source(
    source: Source,
    config: Mapping[str, Any],
    splits: list[str],
    limit: int | None,
    progress: bool,
    cache_dir: str | None,
) -> tuple[dict[str, SplitSource], str | None]:
    """Read every split of ``source``; also returns how hub tag names were chosen."""
    if source.kind == "conll":
        min_bytes = int(setting(config, "data.progress_min_bytes")) if progress else None
        names = setting(config, "data.conll_names")
        return read_conll_dir(source.path, names, splits, limit, min_bytes), None
    if source.kind == "json":
        return read_json_dir(source.path, setting(config, "data.json_names"), splits, limit), None
    hub_splits = setting(config, "data.hub.splits")
    missing = [split for split in splits if split not in hub_splits]
    if missing:
        raise KitError(f"data.hub.splits names no hub split for {', '.join(missing)}")
    read, names = read_hub(
        source.location,
        {split: hub_splits[split] for split in splits},
        tokens_field=setting(config, "data.hub.tokens_field"),
        tags_field=setting(config, "data.hub.tags_field"),
        card_tag_names=setting(config, "data.hub.card_tag_names"),
        limit=limit,
        cache_dir=cache_dir,
        progress=progress,
    )
    return read, names.describe()


def _normalise(split: SplitSource) -> int:
    """Rewrite stray ``I-`` tags of a split in place; the number rewritten."""
    changed = 0
    for sentence in split.sentences:
        sentence.tags, positions = normalise_stray_inside(sentence.tags)
        changed += len(positions)
    return changed


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


def _check_limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise KitError(f"limit must be a positive number of sentences, got {limit!r}")
    return limit


def build_dataset(
    source: str | Path | None = None,
    out_dir: str | Path | None = None,
    hidden_labels_path: str | Path | None = None,
    limit: int | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    source_format: str = "auto",
    progress: bool = False,
    cache_dir: str | Path | None = None,
) -> BuildReport:
    """Build the kit's dataset files from ``source`` and return the report.

    ``source`` is a directory of CoNLL or JSON files, ``"hub:OWNER/NAME"``, or
    ``None`` for the bundled sample. ``out_dir`` defaults to ``paths.dataset_dir``
    and ``hidden_labels_path`` to ``paths.hidden_labels`` of ``kit.yaml``
    (relative paths are taken from the project root). ``limit`` keeps the first
    that many sentences of each split. ``source_format`` (``auto``, ``conll``,
    ``json``) says how to read a directory; ``cache_dir`` is the hub download
    cache. Raises :class:`KitError` on bad input, having written nothing.
    """
    config = kit_config() if config is None else config
    limit = _check_limit(limit)
    splits = list(setting(config, "data.splits"))
    hidden_split = setting(config, "data.hidden_split")
    if hidden_split not in splits:
        raise KitError(f"data.hidden_split {hidden_split!r} is not one of data.splits")
    out_dir = resolve_path(out_dir if out_dir is not None else setting(config, "paths.dataset_dir"))
    hidden_path = resolve_path(
        hidden_labels_path
        if hidden_labels_path is not None
        else setting(config, "paths.hidden_labels")
    )

    resolved = resolve_source(source, config, source_format)
    read, tag_names = _read_source(
        resolved, config, splits, limit, progress, None if cache_dir is None else str(cache_dir)
    )

    files: dict[Path, str] = {}
    outputs: dict[str, str] = {}
    reports: dict[str, SplitReport] = {}
    for split in splits:
        split_source = read[split]
        normalised = _normalise(split_source)
        labelled = rows_from_sentences(split_source.sentences, with_labels=True)
        target = out_dir / f"{split}{SPLIT_FILE_SUFFIX}"
        if split == hidden_split:
            files[target] = dump_rows(
                rows_from_sentences(split_source.sentences, with_labels=False)
            )
            files[hidden_path] = dump_rows(hidden_label_rows(labelled))
        else:
            files[target] = dump_rows(labelled)
        outputs[split] = _display(target)
        reports[split] = SplitReport(
            split=split,
            origin=split_source.origin,
            sentences=len(split_source.sentences),
            tokens=split_source.token_count,
            entities=sum(
                tag.startswith(BEGIN_PREFIX)
                for sentence in split_source.sentences
                for tag in sentence.tags
            ),
            docstarts_dropped=split_source.docstarts_dropped,
            empty_docstarts=split_source.empty_docstarts,
            stray_inside_normalised=normalised,
        )
    outputs["hidden labels"] = _display(hidden_path)
    manifest_path = out_dir / setting(config, "data.manifest")
    outputs["manifest"] = _display(manifest_path)

    report = BuildReport(
        source=resolved.describe(),
        source_kind=resolved.kind,
        splits=reports,
        limit=limit,
        tag_names=tag_names,
        outputs=outputs,
    )
    files[manifest_path] = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    write_all_or_nothing(files)
    return report
