"""Prediction files: one row per sentence, ``{"index": [...], "NER": [...]}``.

The ``index`` values are the running token indices of the split, so a
prediction file can be checked against hidden labels token by token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ner_helpers.constants import NER_TAGS
from ner_helpers.errors import KitError
from ner_helpers.json_limits import JsonLimits, read_json
from ner_helpers.metric import entity_scores
from ner_helpers.predictor import NERPredictor
from ner_helpers.tokenizer import Tokenizer


def predict_rows(predictor: NERPredictor, tokenizer: Tokenizer, rows: Sequence[Mapping],
                 batch_size: int = 64) -> list[dict[str, list]]:
    """Tag every row's ``text``; keep its ``index`` so the file can be scored."""
    tags = predictor.tag(tokenizer, [row["text"] for row in rows], batch_size=batch_size)
    return [{"index": list(row["index"]), "NER": sentence_tags}
            for row, sentence_tags in zip(rows, tags)]


def save_predictions(rows: Sequence[Mapping], path: str | Path) -> Path:
    """Write prediction rows as a JSON array, one row per line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps({"index": r["index"], "NER": r["NER"]}) for r in rows)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("[\n" + lines + "\n]\n", encoding="utf-8")
    tmp.replace(path)
    return path


#: A prediction file is an array of objects of arrays: nothing in it is nested deeper.
PREDICTIONS_DEPTH = 3


def load_predictions(path: str | Path, limits: JsonLimits | None = None,
                     max_index: int | None = None) -> list[dict[str, list]]:
    """Read and check a prediction file: each row has equally long ``index`` and ``NER``
    lists, every index a non-negative integer (at most ``max_index`` when given), every
    tag one of the NER tags.

    Args:
        path: the file.
        limits: bounds on its size and contents (default: no bound on the size; nesting
            at most :data:`PREDICTIONS_DEPTH`, which the format never exceeds).
        max_index: the largest token index the split has.

    Raises:
        KitError: the file is missing or breaks any of the rules; the message names
            the file, the row and the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise KitError(f"{path}: prediction file not found")
    if limits is None:
        size = path.stat().st_size
        limits = JsonLimits(max_bytes=size, max_depth=PREDICTIONS_DEPTH, max_values=size + 1)
    rows = read_json(path, limits)
    if not isinstance(rows, list):
        raise KitError(f"{path}: expected a JSON array of rows")
    valid_tags = set(NER_TAGS)
    for number, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("index"), list) \
                or not isinstance(row.get("NER"), list):
            raise KitError(f"{path}: row {number} needs 'index' and 'NER' lists")
        if len(row["index"]) != len(row["NER"]):
            raise KitError(f"{path}: row {number} has {len(row['index'])} indices "
                           f"but {len(row['NER'])} tags")
        for index in row["index"]:
            if type(index) is not int or index < 0 or (max_index is not None
                                                       and index > max_index):
                shown = repr(index) if isinstance(index, (int, float, str)) else \
                    f"a JSON {'array' if isinstance(index, list) else 'object'}"
                limit = f" up to {max_index}" if max_index is not None else ""
                raise KitError(f"{path}: row {number} has the index {shown[:40]}; token "
                               f"indices are integers from 0{limit}")
        bad = [tag for tag in row["NER"] if not isinstance(tag, str) or tag not in valid_tags]
        if bad:
            shown = repr(bad[0]) if isinstance(bad[0], (str, int, float)) else \
                type(bad[0]).__name__
            raise KitError(f"{path}: row {number} has unknown tag {shown[:40]}")
    return rows


def score_predictions(predicted: Sequence[Mapping], gold: Sequence[Mapping]) -> dict[str, Any]:
    """Entity scores of ``predicted`` rows against ``gold`` rows, matched by token index.

    Every gold token must have exactly one prediction; sentences are read from
    the gold rows, so the scores do not depend on how predictions are grouped.
    """
    by_index: dict[int, str] = {}
    for row in predicted:
        for index, tag in zip(row["index"], row["NER"]):
            if index in by_index:
                raise KitError(f"token index {index} is predicted twice")
            by_index[int(index)] = tag
    true_tags, pred_tags = [], []
    missing = 0
    for row in gold:
        sentence = []
        for index in row["index"]:
            tag = by_index.pop(int(index), None)
            if tag is None:
                missing += 1
                tag = "O"
            sentence.append(tag)
        true_tags.append(list(row["NER"]))
        pred_tags.append(sentence)
    if missing:
        raise KitError(f"{missing} gold tokens have no prediction")
    if by_index:
        raise KitError(f"{len(by_index)} predicted token indices are not in the gold split")
    return entity_scores(true_tags, pred_tags)
