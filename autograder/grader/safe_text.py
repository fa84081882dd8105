"""Student-derived text made safe for terminals, Markdown, JSON and spreadsheets.

Names, student IDs, file names, exception messages and child output all come
from a submission. Before any of it reaches a terminal, ``feedback.md``,
``results.json`` or the gradebook CSV:

- terminal escape sequences (CSI, OSC and the like) are removed whole, then
  every other control character (C0, DEL, C1), every bidirectional-override or
  isolate character, invisible formatting characters and lone surrogates
  (which cannot be written as UTF-8); tabs become spaces and line or paragraph
  separators become newlines (:func:`clean_text`), or everything becomes one
  line (:func:`one_line`);
- text in ``feedback.md`` that may hold student output sits in a fenced code
  block whose fence is longer than any run of backticks in it
  (:func:`fenced`), so it cannot start a heading or a ``Score:`` line;
- any other submission text in ``feedback.md`` (names, student IDs, file names in
  notes, reasons) is written with :func:`markdown_text`: one line, HTML's ``&``,
  ``<`` and ``>`` as entities and Markdown's inline markers backslash-escaped, so
  ``<script>``, a link or emphasis shows as the characters typed;
- a CSV cell that a spreadsheet would read as a formula, also after Unicode
  NFKC normalisation (a full-width ``＝`` becomes ``=``), gets a leading
  apostrophe (:func:`csv_cell`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

#: Escape sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings (ended by BEL or
#: ESC \\), and the two-character ESC sequences; also their 8-bit C1 forms.
ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?")
#: Bidirectional embeddings, overrides, isolates and marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: Invisible characters that hide text or change how it reads (not ZWJ/ZWNJ, which
#: some scripts need inside words).
INVISIBLE = "\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
_REMOVED = set(BIDI_CONTROLS + INVISIBLE)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _keep(char: str, keep_newlines: bool) -> str:
    if char == "\n":
        return "\n" if keep_newlines else " "
    if char in ("\t", "\r"):
        return " " if char == "\t" else ""
    if char in ("\u2028", "\u2029"):
        return "\n" if keep_newlines else " "
    if char in _REMOVED:
        return ""
    category = unicodedata.category(char)
    if category in ("Cc", "Cs"):
        return ""
    return char


def clean_text(text: Any, keep_newlines: bool = True) -> str:
    """``text`` (anything; converted with ``str``) without escape sequences, control,
    bidirectional-override or invisible characters and lone surrogates."""
    value = text if isinstance(text, str) else str(text)
    value = ESCAPE_SEQUENCE.sub("", value)
    if value.isascii() and value.isprintable():
        return value
    return "".join(_keep(char, keep_newlines) for char in value)


def clean_cut(text: Any, limit: int) -> str:
    """:func:`clean_text` of at most about ``limit`` characters, ending in `` ...`` when
    cut (the text is cut before it is cleaned too, so a huge message costs little)."""
    value = text if isinstance(text, str) else str(text)
    cleaned = clean_text(value[: 4 * limit])
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 4] + " ..."


def one_line(text: Any, limit: int | None = None) -> str:
    """:func:`clean_text` on one line, runs of white space collapsed; with ``limit``, at
    most that many characters (cut with `` ...`` when longer)."""
    if limit is not None and isinstance(text, str):
        text = text[: 4 * limit]  # cut before cleaning too, so a huge text costs little
    line = " ".join(clean_text(text, keep_newlines=False).split())
    if limit is not None and len(line) > limit:
        line = line[: max(limit - 4, 1)].rstrip() + " ..."
    return line


#: HTML's special characters, as entities.
HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: Markdown characters that start inline markup anywhere in a line.
MARKDOWN_INLINE = frozenset("\\`*[]!~|{}")
#: What would start a block (heading, list, quote, ordered list) at the start of a text.
MARKDOWN_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+(?=[.)]))")


def markdown_text(text: Any, limit: int | None = None) -> str:
    """:func:`one_line` of ``text``, safe to place in Markdown outside a code block: HTML's
    ``& < >`` become entities, Markdown's inline markers (backslash, backtick, ``*``,
    brackets, ``!``, ``~``, ``|``, braces, and ``_`` at a word boundary) get a
    backslash, and a leading block marker (``#``, ``-``, ``+``, ``=``, ``>``, ``1.``)
    is escaped. Rendered, the text reads as it was typed; raw, it holds no tag."""
    line = one_line(text, limit)
    out = []
    for index, char in enumerate(line):
        if char in HTML_ENTITIES:
            out.append(HTML_ENTITIES[char])
        elif char in MARKDOWN_INLINE:
            out.append("\\" + char)
        elif char == "_" and not (0 < index < len(line) - 1 and line[index - 1].isalnum()
                                  and line[index + 1].isalnum()):
            out.append("\\_")
        else:
            out.append(char)
    escaped = "".join(out)
    match = MARKDOWN_LINE_START.match(escaped)
    if match:  # "\\#", "\\-", ...; an ordered-list number as "1\\."
        start = match.end(1) if not match.group(2).isdigit() else match.end(2)
        escaped = escaped[:start] + "\\" + escaped[start:]
    return escaped


def fenced(text: Any, indent: str = "") -> list[str]:
    """Lines of a Markdown fenced code block holding ``text`` (cleaned), each prefixed by
    ``indent``; the fence is one backtick longer than the longest run in the text."""
    body = clean_text(text).strip("\n")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{indent}{fence}text", *(f"{indent}{line}".rstrip() for line in body.split("\n")),
            f"{indent}{fence}"]


def csv_cell(value: Any) -> Any:
    """A gradebook cell: text on one line, cleaned, with a leading apostrophe when a
    spreadsheet would read it as a formula (also after NFKC normalisation)."""
    if not isinstance(value, str):
        return value
    text = one_line(value)
    normalised = unicodedata.normalize("NFKC", text).lstrip()
    if normalised.startswith(FORMULA_STARTS) or text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
