"""Sentences read from a source, before they become rows of the kit's format.

Every reader (CoNLL files, JSON files, a hub dataset) returns one
:class:`SplitSource` per split: the sentences in file order, each with the
line (or row) it starts at, so that later checks can still name the place of
a problem, and the number of ``-DOCSTART-`` lines dropped on the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ner_helpers.data.tags import is_known_tag, unknown_tag_problem
from ner_helpers.errors import located


@dataclass
class Sentence:
    """One labelled sentence: tokens, their IOB2 tags, and where it starts."""

    tokens: list[str]
    tags: list[str]
    line: int


@dataclass
class SplitSource:
    """The sentences of one split as read from a source."""

    split: str
    origin: str
    sentences: list[Sentence] = field(default_factory=list)
    #: ``-DOCSTART-`` lines dropped that open a document (sentences follow them).
    docstarts_dropped: int = 0
    #: ``-DOCSTART-`` lines dropped that open no document (another marker or the
    #: end of the file follows), e.g. a stray marker on a file's last line.
    empty_docstarts: int = 0

    @property
    def token_count(self) -> int:
        return sum(len(sentence.tokens) for sentence in self.sentences)


def check_sentence(tokens: object, tags: object, origin: str, line: int, what: str) -> None:
    """Validate one sentence given as lists of tokens and tags.

    ``what`` names the sentence in messages (``"row 12"``); problems raise a
    :class:`~ner_helpers.errors.KitError` located at ``origin:line``.
    """
    if not isinstance(tokens, list) or not all(isinstance(token, str) for token in tokens):
        raise located(origin, line, f"{what}: the tokens must be a list of strings")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise located(origin, line, f"{what}: the tags must be a list of strings")
    if not tokens:
        raise located(origin, line, f"{what}: sentence has no tokens")
    if len(tokens) != len(tags):
        raise located(
            origin, line, f"{what}: {len(tokens)} tokens but {len(tags)} tags (counts must match)"
        )
    check_tokens(tokens, origin, line, what)
    check_tags(tags, origin, line, what)


def check_tokens(tokens: Sequence[str], origin: str, line: int, what: str) -> None:
    """Check that no token is empty (or only white space)."""
    for position, token in enumerate(tokens):
        if not token.strip():
            raise located(origin, line, f"{what}: token {position} is empty")


def check_tags(tags: Sequence[str], origin: str, line: int, what: str) -> None:
    """Check that every tag is one of the nine IOB2 tags."""
    for tag in tags:
        if not is_known_tag(tag):
            raise located(origin, line, f"{what}: {unknown_tag_problem(tag)}")
