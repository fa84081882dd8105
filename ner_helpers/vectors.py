"""Pretrained word vectors: reading a vector file and aligning it to the vocabulary.

A vector file gives one word and its vector per line. Three text layouts are read:

- GloVe: ``word v1 v2 ... vD`` on every line, no header;
- word2vec and fastText (``.vec``): the same rows after a header line ``COUNT DIM``
  (two integers); a word2vec text file without its header reads as GloVe.

A word2vec *binary* file (``.bin``) is read through gensim's ``KeyedVectors``
(the ``vectors`` extra), all of it in memory.

Rules of the text reader (each broken rule stops with ``FILE:LINE: problem``):

- UTF-8; a byte-order mark before the first line and ``\\r\\n`` line ends are fine;
  blank lines are skipped.
- Fields are separated by single spaces; spaces at the end of a line are ignored
  (fastText writes one). A word holds no space.
- Every row has exactly ``DIM`` values after its word: ``DIM`` comes from the header,
  or else from the first row. Every value is a finite number.
- With a header, the number of rows must equal its ``COUNT``.
- A word that appears again: the first row wins, later rows are ignored. Repeats
  of the words asked for (``wanted``: the vocabulary) are counted and reported;
  repeats of other words do not matter and are not tracked (memory stays bounded).
- An empty file (no rows) is an error.

The reader streams the file line by line and keeps only the vectors of the words
asked for (``wanted``), so memory stays bounded by the vocabulary, not the file; a
progress bar shows for large files.

:func:`align_vectors` (TODO-7-2) copies the vectors into the embedding table, row by
row of the vocabulary; :func:`coverage` tells how much of the vocabulary and of the
training text the file covers.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ner_helpers.data.text_files import iter_lines
from ner_helpers.errors import KitError, located

#: The codes of :func:`align_vectors`, one per vocabulary id.
SKIPPED = -1     # pad and unknown ids: never filled from the file
MISSING = 0      # neither the word nor its lowercase form is in the file
EXACT = 1        # the word itself is in the file
LOWERCASE = 2    # only the lowercased word is in the file
MATCH_NAMES = {EXACT: "exact", LOWERCASE: "lowercase", MISSING: "missing"}
#: ``model.pretrained_vectors: hub:OWNER/NAME/FILE`` names a file of a hub dataset repository.
HUB_PREFIX = "hub:"
#: The files of an experiment folder that hold the coverage report.
COVERAGE_JSON = "vectors_coverage.json"
COVERAGE_TEXT = "vectors_coverage.txt"


@dataclass
class VectorFile:
    """What :func:`read_vectors` found in a file.

    Attributes:
        path: the file.
        dim: the number of values per word.
        vectors: word -> FloatTensor[dim], only the words asked for.
        rows: the number of rows (words) in the file.
        header: ``(count, dim)`` of a word2vec/fastText header, or None.
        duplicates: rows of a wanted word seen before (ignored: the first row wins).
        first_duplicate: ``(word, line)`` of the first such row, or None.
    """

    path: Path
    dim: int
    vectors: dict[str, torch.Tensor]
    rows: int
    header: tuple[int, int] | None = None
    duplicates: int = 0
    first_duplicate: tuple[str, int] | None = None

    def as_keyed_vectors(self) -> Any:
        """The vectors read, as a gensim ``KeyedVectors`` (nearest neighbours, similarity)."""
        keyed_vectors_class = _keyed_vectors_class()
        keyed = keyed_vectors_class(self.dim)
        words = sorted(self.vectors)
        if words:
            keyed.add_vectors(words, torch.stack([self.vectors[w] for w in words]).numpy())
        return keyed


def _keyed_vectors_class() -> Any:
    try:
        from gensim.models import KeyedVectors
    except ImportError:
        raise KitError("this needs gensim: pip install 'ner-course-kit[vectors]' "
                       "(or pip install gensim)") from None
    return KeyedVectors


def _is_int(text: str) -> bool:
    return text.isdigit()


def _values(path: Path, number: int, word: str, fields: list[str]) -> np.ndarray:
    """The numbers of one row, or a located error naming the first bad value."""
    try:
        values = np.asarray(fields, dtype=np.float32)
    except ValueError:
        for position, text in enumerate(fields, start=1):
            try:
                float(text)
            except ValueError:
                raise located(path, number, f"value {position} of {word!r} is not a number: "
                              f"{text[:40]!r}") from None
        raise located(path, number, f"the values of {word!r} are not numbers") from None
    if not np.isfinite(values).all():
        position = int(np.flatnonzero(~np.isfinite(values))[0]) + 1
        raise located(path, number, f"value {position} of {word!r} is not finite: "
                      f"{fields[position - 1]!r}")
    return values


def read_vectors(path: str | Path, wanted: Collection[str] | None = None,
                 progress_min_bytes: int | None = 1_000_000) -> VectorFile:
    """Read a GloVe, word2vec or fastText vector file (rules in the module docstring).

    Only the vectors of the words in ``wanted`` are kept (all of them when ``wanted``
    is None: small files only); every row is still checked. A progress bar shows
    for files of at least ``progress_min_bytes`` bytes (None: never).
    """
    path = Path(path)
    if not path.is_file():
        raise KitError(f"{path}: vector file not found")
    if path.suffix == ".bin":
        return _read_binary(path, wanted)
    keep = None if wanted is None else set(wanted)
    vectors: dict[str, torch.Tensor] = {}
    header: tuple[int, int] | None = None
    dim: int | None = None
    rows = duplicates = 0
    first_duplicate: tuple[str, int] | None = None
    first_row_line = 0
    for number, text in iter_lines(path, progress_min_bytes):
        line = text.rstrip(" \t")
        if not line.strip():
            continue
        fields = line.split(" ")
        if header is None and dim is None and len(fields) == 2 and all(map(_is_int, fields)):
            header = (int(fields[0]), int(fields[1]))
            if header[0] < 1 or header[1] < 1:
                raise located(path, number, f"the header {line!r} must give a positive word "
                              "count and dimension")
            dim = header[1]
            continue
        word, values = fields[0], fields[1:]
        if not word:
            raise located(path, number, "the row starts with a space: fields must be "
                          "separated by single spaces and a word cannot be empty")
        if dim is None:
            if not values:
                raise located(path, number, f"the row holds the word {word!r} and no values")
            dim = len(values)
            first_row_line = number
        if len(values) != dim:
            source = (f"the header (line 1) says {dim}" if header is not None
                      else f"the first row (line {first_row_line}) has {dim}")
            raise located(path, number, f"the row of {word!r} has {len(values)} values, "
                          f"{source}")
        parsed = _values(path, number, word, values)
        rows += 1
        if keep is not None and word not in keep:
            continue
        if word in vectors:
            duplicates += 1
            first_duplicate = first_duplicate or (word, number)
            continue
        vectors[word] = torch.from_numpy(parsed)
    if rows == 0:
        raise located(path, None, "empty vector file: no word vectors in it")
    if header is not None and header[0] != rows:
        raise located(path, 1, f"the header says {header[0]} words, the file has {rows} rows")
    assert dim is not None
    return VectorFile(path, dim, vectors, rows, header, duplicates, first_duplicate)


def _read_binary(path: Path, wanted: Collection[str] | None) -> VectorFile:
    """A word2vec binary file, through gensim (whole file in memory)."""
    keyed_vectors_class = _keyed_vectors_class()
    try:
        keyed = keyed_vectors_class.load_word2vec_format(str(path), binary=True)
    except Exception as exc:  # gensim raises several types for broken files
        raise located(path, None, f"not a word2vec binary file ({type(exc).__name__}: "
                      f"{exc})") from None
    if len(keyed) == 0:
        raise located(path, None, "empty vector file: no word vectors in it")
    keep = None if wanted is None else set(wanted)
    vectors = {word: torch.from_numpy(np.array(keyed[word], dtype=np.float32))
               for word in keyed.index_to_key if keep is None or word in keep}
    return VectorFile(path, int(keyed.vector_size), vectors, len(keyed),
                      (len(keyed), int(keyed.vector_size)))


def vectors_path(source: str) -> Path:
    """The local file of ``model.pretrained_vectors``: a path (relative ones from the
    project root), or ``hub:OWNER/NAME/FILE``, a file of a Hugging Face hub dataset
    repository, downloaded once into the hub's cache (online only)."""
    from ner_helpers.config import resolve_path

    if not source.startswith(HUB_PREFIX):
        return resolve_path(source)
    parts = source.removeprefix(HUB_PREFIX).split("/")
    if len(parts) < 3 or not all(parts):
        raise KitError(f"{source}: a hub vector file is hub:OWNER/NAME/FILE (a file of a "
                       "dataset repository)")
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise KitError(f"{source}: reading from the hub needs huggingface_hub: "
                       "pip install 'ner-course-kit[hub]'") from None
    try:
        return Path(hf_hub_download("/".join(parts[:2]), "/".join(parts[2:]),
                                    repo_type="dataset"))
    except Exception as exc:  # offline, unknown repository or file: one line, no traceback
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise KitError(f"{source}: could not download the vector file "
                       f"({type(exc).__name__}: {message})") from None


def wanted_words(token2id: Mapping[str, int]) -> set[str]:
    """The words whose vectors an alignment may read: each word and its lowercase form."""
    return set(token2id) | {word.lower() for word in token2id}


def align_vectors(token2id: Mapping[str, int], vectors: Mapping[str, torch.Tensor],
                  table: torch.Tensor, skip_ids: Collection[int] = ()) -> torch.Tensor:
    """Copy the file's vectors into the rows of the embedding table.

    Args:
        token2id: the vocabulary, word -> row id (the tokenizer's ``token2id``).
        vectors: word -> FloatTensor[D], the vectors read from the file.
        table: FloatTensor[V, D], the embedding table; written in place.
        skip_ids: ids never filled (the pad and unknown ids), whatever their word.

    For every word of the vocabulary whose id is not in ``skip_ids``: when the word
    itself is in ``vectors``, its vector goes into row ``token2id[word]``; otherwise,
    when ``word.lower()`` is in ``vectors``, that vector goes there; otherwise the row
    is left as it is.

    Returns:
        LongTensor[V], per id: ``EXACT`` (1), ``LOWERCASE`` (2), ``MISSING`` (0), or
        ``SKIPPED`` (-1) for ``skip_ids``.
    """
    # TODO-7-2 hint: start from a LongTensor of MISSING codes (one per row of the table),
    # mark skip_ids as SKIPPED, then for each (word, id) copy vectors[word] (code EXACT)
    # or else vectors[word.lower()] (code LOWERCASE) into table[id].
    ### BEGIN SOLUTION
    match = torch.full((table.shape[0],), MISSING, dtype=torch.long)
    skipped = set(skip_ids)
    for word, index in token2id.items():
        if index in skipped:
            match[index] = SKIPPED
            continue
        if word in vectors:
            source, code = vectors[word], EXACT
        elif word.lower() in vectors:
            source, code = vectors[word.lower()], LOWERCASE
        else:
            continue
        table[index] = torch.as_tensor(source, dtype=table.dtype)
        match[index] = code
    return match
    ### END SOLUTION


def initial_table(vocab_size: int, vectors: Iterable[torch.Tensor], dim: int, how: str,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """FloatTensor[V, D], the rows before alignment (what missing words keep).

    ``how``: ``"zeros"``; ``"mean"`` (every row the mean of the file's vectors read);
    ``"random"`` (normal values with the mean and standard deviation of those vectors,
    so that missing rows have the scale of the found ones).
    """
    found = list(vectors)
    stacked = torch.stack(found) if found else torch.zeros(1, dim)
    if how == "zeros":
        return torch.zeros(vocab_size, dim)
    if how == "mean":
        return stacked.mean(dim=0).expand(vocab_size, dim).clone()
    if how == "random":
        mean = float(stacked.mean())
        std = float(stacked.std()) if stacked.numel() > 1 else 1.0
        return torch.randn(vocab_size, dim, generator=generator) * (std or 1.0) + mean
    raise KitError(f"model config: missing_vectors must be random, zeros or mean, got {how!r}")


@dataclass
class Coverage:
    """How much of the vocabulary the vector file covers.

    ``by_token``: vocabulary words (pad and unknown excluded) per match kind;
    ``by_occurrence``: the same words weighted by how often they occur in the
    training text. ``top_missing``: the most frequent words the file lacks.
    """

    vectors_file: str
    dim: int
    file_rows: int
    duplicates: int
    by_token: dict[str, int]
    by_occurrence: dict[str, int]
    top_missing: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"vectors_file": self.vectors_file, "dim": self.dim,
                "file_rows": self.file_rows, "duplicates": self.duplicates,
                "by_token": self.by_token, "by_occurrence": self.by_occurrence,
                "top_missing": [list(item) for item in self.top_missing]}

    def format(self) -> str:
        """A small table: exact, lowercase and missing, by token and by occurrence."""
        lines = [f"vector coverage of the vocabulary ({self.vectors_file}, "
                 f"{self.file_rows} rows of dimension {self.dim}"
                 + (f", {self.duplicates} duplicate rows ignored" if self.duplicates else "")
                 + ")",
                 f"{'match':<10} {'tokens':>8} {'share':>7} {'occurrences':>12} {'share':>7}"]
        tokens_total = max(1, sum(self.by_token.values()))
        occurrences_total = max(1, sum(self.by_occurrence.values()))
        for name in ("exact", "lowercase", "missing"):
            lines.append(f"{name:<10} {self.by_token[name]:>8} "
                         f"{self.by_token[name] / tokens_total:>7.1%} "
                         f"{self.by_occurrence[name]:>12} "
                         f"{self.by_occurrence[name] / occurrences_total:>7.1%}")
        if self.top_missing:
            lines.append("most frequent missing words: "
                         + ", ".join(f"{word} ({count})" for word, count in self.top_missing))
        return "\n".join(lines)

    def save(self, folder: str | Path) -> None:
        """Write ``vectors_coverage.json`` and ``vectors_coverage.txt`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / COVERAGE_JSON).write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        (folder / COVERAGE_TEXT).write_text(self.format() + "\n")


def coverage(match: torch.Tensor, token2id: Mapping[str, int], counts: Mapping[str, int],
             vector_file: VectorFile, top: int = 10) -> Coverage:
    """The coverage of ``match`` (from :func:`align_vectors`); ``counts``: word ->
    occurrences in the training text (words outside the vocabulary are not counted)."""
    by_token = {name: 0 for name in ("exact", "lowercase", "missing")}
    by_occurrence = dict(by_token)
    missing: list[tuple[str, int]] = []
    for word, index in token2id.items():
        code = int(match[index])
        if code == SKIPPED:
            continue
        name = MATCH_NAMES[code]
        by_token[name] += 1
        by_occurrence[name] += int(counts.get(word, 0))
        if code == MISSING:
            missing.append((word, int(counts.get(word, 0))))
    missing.sort(key=lambda item: (-item[1], item[0]))
    return Coverage(str(vector_file.path), vector_file.dim, vector_file.rows,
                    vector_file.duplicates, by_token, by_occurrence, missing[:top])


def token_counts(rows: Iterable[Mapping], tokenizer: Any) -> Counter[str]:
    """How often each token occurs in the ``text`` of ``rows``, as the tokenizer sees it
    (lowercased when it lowercases)."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(tokenizer.normalise(row["text"]))
    return counts


def check_dimension(vector_file: VectorFile, embedding_dim: int | None) -> int:
    """The embedding dimension: the file's, which ``embedding_dim`` (when set) must equal."""
    if embedding_dim is not None and int(embedding_dim) != vector_file.dim:
        raise located(vector_file.path, None,
                      f"the vectors have dimension {vector_file.dim} but model.embedding_dim "
                      f"is {embedding_dim}: set model.embedding_dim to {vector_file.dim} "
                      "(or leave it out, and the file sets it)")
    return vector_file.dim


def load_pretrained_table(embedding: torch.nn.Embedding, tokenizer: Any,
                          vector_file: VectorFile, how: str, counts: Mapping[str, int],
                          seed: int = 0) -> Coverage:
    """Fill ``embedding.weight`` [V, D] from ``vector_file``: rows of missing words start
    as ``how`` says (:func:`initial_table`), the pad row stays zero. Returns the
    coverage; nothing is written into ``embedding`` when a step fails."""
    vocab_size, dim = embedding.weight.shape
    if dim != vector_file.dim:
        check_dimension(vector_file, dim)
    generator = torch.Generator().manual_seed(seed)
    table = initial_table(vocab_size, vector_file.vectors.values(), dim, how, generator)
    skip = [tokenizer.pad_id, tokenizer.unk_id]
    match = align_vectors(tokenizer.token2id, vector_file.vectors, table, skip)
    table[tokenizer.pad_id] = 0.0
    if not math.isfinite(float(table.abs().sum())):
        raise located(vector_file.path, None, "the aligned table holds values that are not "
                      "finite")
    with torch.no_grad():
        embedding.weight.copy_(table)
    return coverage(match, tokenizer.token2id, counts, vector_file)
