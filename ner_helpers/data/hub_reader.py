"""Reading a Hugging Face hub dataset (WikiNEuRal English by default) as a source.

The dataset is loaded with :func:`datasets.load_dataset`, so a hub id and a
local folder in the hub's layout go through the same code. Records hold a
token list and a tag list (``data.hub.tokens_field`` / ``data.hub.tags_field``);
WikiNEuRal's look like ``{"tokens": [...], "ner_tags": [0, 3, 4, 0], "lang": "en"}``
in the splits ``train_en``, ``val_en`` and ``test_en`` (``data.hub.splits``).

Tag names. Integer tags are turned into tag strings with, in this order:

1. the names of the dataset's own ``ClassLabel`` feature inside the tag
   sequence, when the dataset declares one;
2. else ``data.hub.card_tag_names``, the id-to-tag list published on the
   dataset card (WikiNEuRal's card: O, B-PER, I-PER, B-ORG, I-ORG, B-LOC,
   I-LOC, B-MISC, I-MISC).

Tags that are already strings are taken as they are. Every name must be one
of the kit's nine tags; the kit's own numbering (``NER_ENCODING_MAP``) is
applied later, by name, never by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from ner_helpers.data.corpus import Sentence, SplitSource, check_sentence
from ner_helpers.data.tags import is_known_tag
from ner_helpers.errors import KitError, located

BATCH_SIZE = 1000
STRING_DTYPES = ("string", "large_string")


@dataclass(frozen=True)
class HubTagNames:
    """How a hub dataset's tags become tag strings."""

    names: tuple[str, ...] | None
    origin: str

    def describe(self) -> str:
        if self.names is None:
            return self.origin
        return f"{self.origin}: {', '.join(self.names)}"


def _import_datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise KitError(
            "the hub source needs the 'datasets' package: pip install 'ner-course-kit[hub]'"
        ) from None
    return datasets


def tag_names_from_features(
    features: Mapping[str, Any] | None, tags_field: str, card_tag_names: Sequence[str]
) -> HubTagNames:
    """Choose the tag names: the dataset's ``ClassLabel`` names, else the card's list."""
    datasets = _import_datasets()
    inner = getattr((features or {}).get(tags_field), "feature", None)
    if isinstance(inner, datasets.ClassLabel):
        return HubTagNames(tuple(inner.names), "the dataset's ClassLabel feature")
    if isinstance(inner, datasets.Value) and inner.dtype in STRING_DTYPES:
        return HubTagNames(None, "tag strings in the records")
    return HubTagNames(tuple(card_tag_names), "the dataset card (data.hub.card_tag_names)")


def _check_names(names: HubTagNames, dataset_id: str) -> None:
    if names.names is None:
        return
    unknown = [name for name in names.names if not is_known_tag(name)]
    if unknown:
        raise KitError(
            f"hub:{dataset_id}: tag names from {names.origin} include "
            f"{', '.join(map(repr, unknown))}, which are not among the kit's nine IOB2 tags"
        )


def _tag_strings(raw: Any, names: HubTagNames, origin: str, row: int) -> list[str]:
    if not isinstance(raw, list):
        raise located(origin, row, f"row {row}: the tags must be a list")
    if names.names is None:
        return raw
    tags: list[str] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int):
            raise located(origin, row, f"row {row}: tag {value!r} is not an integer id")
        if not 0 <= value < len(names.names):
            raise located(
                origin,
                row,
                f"row {row}: tag id {value} is out of range 0..{len(names.names) - 1} "
                f"of {names.origin}",
            )
        tags.append(names.names[value])
    return tags


def _read_split(
    dataset: Any,
    split: str,
    origin: str,
    tokens_field: str,
    tags_field: str,
    names: HubTagNames,
    limit: int | None,
    progress: bool,
) -> SplitSource:
    if limit is not None:
        dataset = dataset.select(range(min(limit, len(dataset))))
    result = SplitSource(split=split, origin=origin)
    row = 0
    with tqdm(
        total=len(dataset),
        unit="sentences",
        desc=f"converting {split}",
        disable=None if progress else True,
        leave=False,
    ) as bar:
        for batch in dataset.iter(batch_size=BATCH_SIZE):
            for tokens, raw_tags in zip(batch[tokens_field], batch[tags_field], strict=True):
                row += 1
                tags = _tag_strings(raw_tags, names, origin, row)
                check_sentence(tokens, tags, origin, row, f"row {row}")
                result.sentences.append(Sentence(tokens=list(tokens), tags=list(tags), line=row))
            bar.update(len(batch[tokens_field]))
    if not result.sentences:
        raise located(origin, None, "the split is empty")
    return result


def read_hub(
    dataset_id: str,
    split_names: Mapping[str, str],
    tokens_field: str,
    tags_field: str,
    card_tag_names: Sequence[str],
    limit: int | None = None,
    cache_dir: str | None = None,
    progress: bool = False,
) -> tuple[dict[str, SplitSource], HubTagNames]:
    """Load a hub dataset (or a local folder in its layout) and read the kit's splits.

    ``split_names`` maps the kit's split names to the dataset's
    (``{"train": "train_en", ...}``). Returns the splits and the tag names used.
    """
    datasets = _import_datasets()
    bars_were_on = datasets.is_progress_bar_enabled()
    if not progress:
        datasets.disable_progress_bars()
    try:
        loaded = datasets.load_dataset(dataset_id, cache_dir=cache_dir)
    except Exception as exc:  # load_dataset raises many types: network, missing files, format
        raise KitError(
            f"hub:{dataset_id}: could not load the dataset ({type(exc).__name__}: {exc}). "
            "Check the id and the network connection, or build from a local copy with --source DIR"
        ) from None
    finally:
        if bars_were_on:
            datasets.enable_progress_bars()
    available = list(loaded.keys())
    result: dict[str, SplitSource] = {}
    names: HubTagNames | None = None
    for split, hub_split in split_names.items():
        if hub_split not in loaded:
            raise KitError(
                f"hub:{dataset_id}: split {hub_split!r} (for {split}) is missing; "
                f"the dataset has {', '.join(available) or 'no splits'}"
            )
        dataset = loaded[hub_split]
        origin = f"hub:{dataset_id}/{hub_split}"
        for field in (tokens_field, tags_field):
            if field not in dataset.column_names:
                raise located(
                    origin,
                    None,
                    f"no field {field!r}; the records have {', '.join(dataset.column_names)}",
                )
        split_tag_names = tag_names_from_features(dataset.features, tags_field, card_tag_names)
        _check_names(split_tag_names, dataset_id)
        names = names or split_tag_names
        result[split] = _read_split(
            dataset, split, origin, tokens_field, tags_field, split_tag_names, limit, progress
        )
    if names is None:
        raise KitError("the configuration maps no splits in data.hub.splits")
    return result, names
