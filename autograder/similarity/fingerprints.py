"""Fingerprints of a region: copydetect's normalisation and winnowing, with a stable hash.

:func:`copydetect.utils.filter_code` tokenizes the code with Pygments' Python
lexer and normalises it: every variable, attribute and argument name becomes
``V``, function names ``F``, class names ``O``, string literals ``S``;
comments and whitespace are dropped. Renaming identifiers, rewording comments
or reformatting therefore changes nothing. The normalised text is cut into
k-grams of ``k`` characters; :func:`copydetect.utils.winnow` keeps the minimum
hash of every window of ``window`` consecutive k-grams (Schleimer, Wilkerson and
Aiken, "Winnowing", SIGMOD 2003), so any match of at least ``k + window - 1``
normalised characters is found.

copydetect hashes k-grams with Python's ``hash()``, which is salted per process;
here each k-gram is hashed with BLAKE2b instead, so that the same submissions
give the same report byte for byte. The k-grams of the release's boilerplate
(the hint, the stub, provided lines) are dropped from every region.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from copydetect.utils import filter_code, winnow
from pygments import lexers, token

LANGUAGE = "python"


def kgram_hashes(text: str, k: int) -> np.ndarray:
    """Stable 63-bit hashes of every k-gram of ``text``: int64[max(0, len - k + 1)]."""
    count = len(text) - k + 1
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    data = text.encode("utf-32-le")
    width = 4 * k
    values = [int.from_bytes(hashlib.blake2b(data[4 * i:4 * i + width], digest_size=8)
                             .digest(), "little") >> 1 for i in range(count)]
    return np.array(values, dtype=np.int64)


def normalise(code: str) -> tuple[str, np.ndarray]:
    """copydetect's normalised text of ``code`` and its offsets (int[N, 2]: position in
    the normalised text, characters removed before it)."""
    filtered, offsets = filter_code(code, "region.py", LANGUAGE)
    return filtered, np.asarray(offsets, dtype=np.int64).reshape(-1, 2)


def raw_spans(code: str, filtered: str) -> np.ndarray | None:
    """For each character of copydetect's normalised text ``filtered`` of ``code``, the
    span of ``code`` it stands for: int[len(filtered), 2] (start, end); ``None`` when the
    tokens cannot be followed through ``code``.

    copydetect's own offsets place a highlight a character or so off at renamed names;
    this walks the same tokens with :func:`filter_code`'s rules and keeps, for every
    normalised character, the whole token it came from (a ``V`` maps to the name).
    """
    lexer = lexers.get_lexer_by_name(LANGUAGE)
    names = {token.Name, token.Name.Variable, token.Name.Attribute}
    spans: list[tuple[int, int]] = []
    out: list[str] = []
    cursor = 0
    for kind, value in lexer.get_tokens(code):
        if not value:
            continue
        found = code.find(value, cursor)
        if found < 0:
            if value.strip():
                return None
            continue  # a newline the lexer added at the end
        start, end = found, found + len(value)
        cursor = end
        letter = ("V" if kind in names else "F" if kind in token.Name.Function
                  else "O" if kind in token.Name.Class
                  else "P" if kind in (token.Comment.Preproc, token.Comment.Hashbang) else "")
        if letter:
            out.append(letter)
            spans.append((start, end))
        elif kind in token.Text or kind in token.Comment:
            continue
        elif kind in token.Literal.String:
            out.append('"' if value in ("'", '"') else "S")
            spans.append((start, end))
        else:
            out.extend(value)
            spans.extend((start + i, start + i + 1) for i in range(len(value)))
    if "".join(out) != filtered:
        return None
    return np.array(spans, dtype=np.int64).reshape(-1, 2)


@dataclass
class RegionFingerprint:
    """A region's fingerprints, shaped as :func:`copydetect.compare_files` reads them.

    Attributes:
        raw_code: the region's code as written.
        filtered_code: its normalised text.
        offsets: int[N, 2], for mapping normalised positions back to ``raw_code``.
        hashes: the winnowed hashes (boilerplate removed).
        hash_idx: hash -> positions in ``filtered_code`` where its k-gram starts.
        k: the k-gram size.
        token_coverage: normalised characters covered by the kept k-grams.
    """

    raw_code: str
    filtered_code: str
    offsets: np.ndarray
    hashes: set[int]
    hash_idx: dict[int, list[int]]
    k: int
    token_coverage: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def boilerplate_hashes(texts: list[str], k: int) -> np.ndarray:
    """Every k-gram hash of the normalised ``texts`` (sorted, unique): int64[M]."""
    arrays = [kgram_hashes(normalise(text)[0], k) for text in texts if text]
    if not arrays:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(arrays))


def fingerprint(code: str, k: int, window: int,
                boilerplate: np.ndarray | None = None) -> RegionFingerprint:
    """Normalise ``code``, hash its k-grams, winnow them and drop the boilerplate."""
    filtered, offsets = normalise(code)
    hashes = kgram_hashes(filtered, k)
    if len(hashes):
        selected, positions = winnow(hashes, window, remove_duplicates=False)
    else:
        selected, positions = hashes, np.zeros(0, dtype=np.int64)
    if boilerplate is not None and len(boilerplate) and len(selected):
        keep = ~np.isin(selected, boilerplate)
        selected, positions = selected[keep], positions[keep]
    index: dict[int, list[int]] = {}
    for value, position in zip(selected.tolist(), positions.tolist()):
        index.setdefault(value, []).append(position)
    covered = np.zeros(len(filtered), dtype=bool)
    for position in positions.tolist():
        covered[position:position + k] = True
    return RegionFingerprint(code, filtered, offsets, set(index), index, k,
                             int(covered.sum()))
