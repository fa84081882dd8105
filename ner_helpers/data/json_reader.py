"""Reading a directory of JSON files in the kit's format as a source.

Each split file (names per split in ``data.json_names`` of ``kit.yaml``) is a
JSON array of rows ``{"text": [...], "NER": [...]}`` (or JSON Lines, one row
per line). A source must carry ``NER`` for every split, the test split
included, because the build writes the test labels into the hidden labels.
An ``index`` key, if present, is ignored: the build renumbers the tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ner_helpers.data.corpus import Sentence, SplitSource, check_sentence
from ner_helpers.data.records import LABEL_KEY, TEXT_KEY, parse_json_rows
from ner_helpers.data.source import find_split_file
from ner_helpers.errors import located


def read_json_file(path: Path, split: str, limit: int | None = None) -> SplitSource:
    """Read one JSON split file into a :class:`SplitSource`, validating every row."""
    result = SplitSource(split=split, origin=str(path))
    pairs = parse_json_rows(path)
    if not pairs:
        raise located(path, 1, "no rows: the split is empty")
    for number, (line, row) in enumerate(pairs, start=1):
        if limit is not None and len(result.sentences) >= limit:
            break
        what = f"row {number}"
        if not isinstance(row, dict):
            raise located(path, line, f"{what}: expected an object, found {type(row).__name__}")
        if TEXT_KEY not in row:
            raise located(path, line, f"{what}: missing key {TEXT_KEY!r}")
        if LABEL_KEY not in row:
            raise located(
                path,
                line,
                f"{what}: missing key {LABEL_KEY!r}; a JSON source needs the labels of every "
                "split, the test split included",
            )
        tokens, tags = row[TEXT_KEY], row[LABEL_KEY]
        check_sentence(tokens, tags, str(path), line, what)
        result.sentences.append(Sentence(tokens=list(tokens), tags=list(tags), line=line))
    return result


def read_json_dir(
    directory: Path,
    names: Mapping[str, Sequence[str]],
    splits: Sequence[str],
    limit: int | None = None,
) -> dict[str, SplitSource]:
    """Read one JSON file per split from ``directory`` (file names per split in ``names``)."""
    paths = {split: find_split_file(directory, split, names.get(split, ())) for split in splits}
    return {split: read_json_file(path, split, limit=limit) for split, path in paths.items()}
