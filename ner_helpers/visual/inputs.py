"""Turning what a notebook passes in (strings, lists, tensors) into plain lists.

The visual tools accept tokens as a list or a whitespace-separated string, and
tags as strings or as tag ids (ints, or a LongTensor as produced by ``argmax``).
Anything else stops with a :class:`~ner_helpers.errors.KitError` that says which
argument was wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ner_helpers.constants import NER_DECODING_MAP
from ner_helpers.errors import KitError


def as_token_list(tokens: str | Iterable[Any]) -> list[str]:
    """Tokens as a list of strings; a single string is split on whitespace."""
    if isinstance(tokens, str):
        return tokens.split()
    try:
        return [str(token) for token in tokens]
    except TypeError:
        raise KitError(f"tokens must be a list of strings, not {type(tokens).__name__}") from None


def as_tag_list(tags: Iterable[Any], name: str) -> list[str]:
    """Tags as strings; tag ids (ints or 0-d tensors) are decoded with ``NER_DECODING_MAP``."""
    if isinstance(tags, str):
        raise KitError(f"{name} must be a list of tags, not one string")
    try:
        items = list(tags)
    except TypeError:
        raise KitError(f"{name} must be a list of tags, not {type(tags).__name__}") from None
    result = []
    for position, tag in enumerate(items):
        if isinstance(tag, str):
            result.append(tag)
            continue
        try:
            tag_id = int(tag)
        except (TypeError, ValueError):
            raise KitError(f"{name}[{position}] is {tag!r}, neither a tag nor a tag id") from None
        if tag_id not in NER_DECODING_MAP:
            raise KitError(f"{name}[{position}] is {tag_id}, which is not a tag id")
        result.append(NER_DECODING_MAP[tag_id])
    return result


def as_flag_list(flags: Iterable[Any], name: str) -> list[bool]:
    """Flags (bools, 0/1 ints or a tensor of them) as a list of bools."""
    try:
        return [bool(flag) for flag in flags]
    except TypeError:
        raise KitError(f"{name} must be a list of true/false flags") from None


def check_same_length(tokens: Sequence[Any], values: Sequence[Any], name: str) -> None:
    """Raise a :class:`KitError` unless ``values`` has one entry per token."""
    if len(values) != len(tokens):
        raise KitError(
            f"{name} has {len(values)} entries but there are {len(tokens)} tokens; "
            "give one per token (and drop padding positions)"
        )
