"""Which secret lines count as leaks when they show up in a release.

A *secret line* is a line of solution code (inside a ``### BEGIN SOLUTION``
region of a package file or a notebook solution cell), of a hidden test (a file
under the hidden tests folder, or a ``### BEGIN HIDDEN TESTS`` region), or of
a mark scheme. Lines are compared stripped of surrounding whitespace, whole
line against whole line.

A secret line is *not* looked for when it is trivial:

- shorter than ``leak_check.min_chars`` characters (``return x``, ``pass``,
  ``else:``, ``x = []``),
- made only of brackets and punctuation (``)``, ``],``, ``})``),
- a bare keyword statement with at most one name (``return batch``,
  ``raise``, ``continue``),
- a comment line in a package solution region (hints are public),

or when it is *public*: the same line also occurs outside every secret region
in the source tree (elsewhere in the package, in a non-secret notebook cell or
line, or in a template that ships), so finding it proves nothing.
"""

from __future__ import annotations

import re

PUNCTUATION_ONLY = re.compile(r"^[\s()\[\]{},.:;\\'\"`]*$")
BARE_KEYWORD = re.compile(
    r"^(?:return|yield|pass|break|continue|raise|else:|try:|finally:|del|global|nonlocal)"
    r"(?:\s+[A-Za-z_][\w.]*)?$"
)


def normalise(line: str) -> str:
    """The form lines are compared in: surrounding whitespace removed."""
    return line.strip()


def is_trivial(line: str, min_chars: int) -> bool:
    """Whether a secret line is too common to count as a leak (see the module rules)."""
    text = normalise(line)
    return (len(text) < min_chars or bool(PUNCTUATION_ONLY.match(text))
            or bool(BARE_KEYWORD.match(text)))
