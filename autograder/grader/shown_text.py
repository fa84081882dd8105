"""Text from submissions made fit to show on a class page.

Names and failure messages come from student files and student code. Before
they go into a leaderboard or a class report they lose control and format
characters (terminal escapes, NUL, bidirectional overrides, zero-width
characters), their whitespace runs become single spaces, and long text is cut.
HTML escaping is the page writer's job (:func:`html.escape`).
"""

from __future__ import annotations

import unicodedata

#: Unicode categories removed: control, format, surrogate, private use, unassigned.
DROPPED_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn")
ELLIPSIS = " ..."


def clean_text(text: object, limit: int | None = None) -> str:
    """``text`` as one line without control or format characters, at most ``limit``
    characters long (cut with " ..." when longer)."""
    kept = "".join(" " if char.isspace() else char for char in str(text)
                   if char.isspace() or unicodedata.category(char) not in DROPPED_CATEGORIES)
    line = " ".join(kept.split())
    if limit is not None and len(line) > limit:
        line = line[: max(limit - len(ELLIPSIS), 1)].rstrip() + ELLIPSIS
    return line
