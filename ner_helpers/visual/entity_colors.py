"""One colour per entity type, shared by every visual tool.

``B-X`` and ``I-X`` tags get the same hue, so a whole entity reads as one block
of colour. Each type has a strong colour (for text and lines in plots) and a
light one (for table backgrounds, where black text must stay readable).
"""

from __future__ import annotations

#: Strong colours, one per entity type of the CoNLL tag set.
ENTITY_COLORS: dict[str, str] = {
    "PER": "#e8710a",
    "ORG": "#1f6fb4",
    "LOC": "#2e8b3d",
    "MISC": "#8e44ad",
}

#: Light versions of :data:`ENTITY_COLORS` for cell backgrounds.
ENTITY_BACKGROUNDS: dict[str, str] = {
    "PER": "#ffd9b3",
    "ORG": "#cfe2f3",
    "LOC": "#d4edda",
    "MISC": "#e8daef",
}

#: Used for any entity type outside the four above.
OTHER_ENTITY_COLOR = "#7f7f7f"
OTHER_ENTITY_BACKGROUND = "#e6e6e6"

#: Marks wrong predictions.
ERROR_COLOR = "#d62728"


def entity_type_of(tag: str) -> str | None:
    """The entity type of an IOB2 tag: ``"B-PER"`` and ``"I-PER"`` give ``"PER"``, ``"O"`` None."""
    if len(tag) > 2 and tag[:2] in ("B-", "I-"):
        return tag[2:]
    return None


def tag_color(tag: str) -> str | None:
    """Strong colour of a tag's entity type, or None for ``O`` and non-entity tags."""
    entity_type = entity_type_of(tag)
    if entity_type is None:
        return None
    return ENTITY_COLORS.get(entity_type, OTHER_ENTITY_COLOR)


def tag_background(tag: str) -> str | None:
    """Light colour of a tag's entity type, or None for ``O`` and non-entity tags."""
    entity_type = entity_type_of(tag)
    if entity_type is None:
        return None
    return ENTITY_BACKGROUNDS.get(entity_type, OTHER_ENTITY_BACKGROUND)
