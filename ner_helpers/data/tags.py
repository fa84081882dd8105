"""IOB2 tag checks and the repair of stray ``I-`` tags.

In IOB2 every entity starts with ``B-X`` and continues with ``I-X``. Real
corpora contain "stray" inside tags: an ``I-X`` after ``O``, at the start of a
sentence, or after a tag of another type (``Iranian/B-MISC Resistance/I-ORG``).
Readers such as seqeval and conlleval treat such a tag as the start of a new
entity, so the kit rewrites it to ``B-X``: the entity spans stay the same and
the training labels become consistent. The same rule turns IOB1 files (where
entities start with ``I-``) into IOB2.
"""

from __future__ import annotations

from collections.abc import Sequence

from ner_helpers.constants import NER_TAGS

#: The nine tags a corpus may use.
KNOWN_TAGS: frozenset[str] = frozenset(NER_TAGS)

BEGIN_PREFIX = "B-"
INSIDE_PREFIX = "I-"


def unknown_tag_problem(tag: str) -> str:
    """The message for a tag outside the nine IOB2 tags of the kit."""
    return f"unknown tag {tag!r}; expected one of {', '.join(NER_TAGS)}"


def is_known_tag(tag: str) -> bool:
    """Whether ``tag`` is one of the nine IOB2 tags."""
    return tag in KNOWN_TAGS


def entity_type(tag: str) -> str | None:
    """The entity type of a ``B-``/``I-`` tag (``"B-ORG"`` gives ``"ORG"``), else ``None``."""
    if tag.startswith((BEGIN_PREFIX, INSIDE_PREFIX)):
        return tag[len(BEGIN_PREFIX) :]
    return None


def is_stray_inside(previous: str | None, tag: str) -> bool:
    """Whether ``tag`` is an ``I-X`` that does not continue an ``X`` entity.

    ``previous`` is the tag before it in the sentence, ``None`` at the start.
    """
    if not tag.startswith(INSIDE_PREFIX):
        return False
    return previous is None or entity_type(previous) != entity_type(tag)


def normalise_stray_inside(tags: Sequence[str]) -> tuple[list[str], list[int]]:
    """Rewrite stray ``I-X`` tags to ``B-X``.

    Returns the new tags and the positions that were changed. Each tag is
    judged against the *original* tag before it, which is the same as judging
    it against the repaired one: a repaired ``B-X`` and the original ``I-X``
    have the same type.
    """
    fixed = list(tags)
    changed: list[int] = []
    previous: str | None = None
    for position, tag in enumerate(tags):
        if is_stray_inside(previous, tag):
            fixed[position] = BEGIN_PREFIX + tag[len(INSIDE_PREFIX) :]
            changed.append(position)
        previous = tag
    return fixed, changed
