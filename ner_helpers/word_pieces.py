"""Words to an encoder's word pieces, and windows over sentences too long for it.

Every word is split on its own (its pieces are cached), so the pieces of a
sentence are exactly the pieces of its words in order: a word's pieces never
merge with its neighbours', and the piece-to-word map is known by construction.
A word the piece tokenizer maps to nothing (a lone control or zero-width
character, which BERT's normaliser deletes) gets the unknown piece, so every
word has a first piece and gets a prediction.

The piece tokenizer is a ``tokenizers`` file (``tokenizer.json``): the one a
hub model ships, or a WordPiece vocabulary trained from the corpus by
:func:`train_word_pieces` (tests and the offline demo).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ner_helpers.errors import KitError

#: The piece tokenizer's file in a model folder (the ``tokenizers`` format).
PIECES_FILE = "pieces.json"
#: Special pieces a vocabulary trained by :func:`train_word_pieces` holds.
SPECIAL_PIECES = {"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]",
                  "mask": "[MASK]"}


@dataclass(frozen=True)
class EncodedSentence:
    """One sentence (or one window of it) as pieces.

    ``input_ids``: piece ids, ``[CLS]`` first and ``[SEP]`` last.
    ``word_ids``: per piece, the index of its word in the whole sentence, or
    ``None`` at ``[CLS]`` and ``[SEP]``.
    """

    input_ids: list[int]
    word_ids: list[int | None]


@dataclass(frozen=True)
class Window:
    """A window over a long sentence: it encodes the words ``[start, end)`` and
    the tags of the words ``[own_start, own_end)`` are read from it."""

    start: int
    end: int
    own_start: int
    own_end: int


class WordPieces:
    """Splits words into piece ids with a ``tokenizers.Tokenizer``.

    Args:
        backend: the ``tokenizers.Tokenizer`` (its special tokens are not added
            per word; :meth:`encode` adds ``[CLS]`` and ``[SEP]``).
        cls_id, sep_id, pad_id, unk_id: ids of the special pieces.
    """

    def __init__(self, backend, cls_id: int, sep_id: int, pad_id: int, unk_id: int) -> None:
        self.backend = backend
        self.cls_id = int(cls_id)
        self.sep_id = int(sep_id)
        self.pad_id = int(pad_id)
        self.unk_id = int(unk_id)
        self._cache: dict[str, tuple[int, ...]] = {}

    @property
    def vocab_size(self) -> int:
        return int(self.backend.get_vocab_size(with_added_tokens=True))

    @classmethod
    def load(cls, path: str | Path, cls_id: int, sep_id: int, pad_id: int,
             unk_id: int) -> WordPieces:
        """Read a ``tokenizers`` file (``tokenizer.json`` format)."""
        from tokenizers import Tokenizer as Backend

        path = Path(path)
        if not path.is_file():
            raise KitError(f"{path}: piece tokenizer not found")
        try:
            backend = Backend.from_file(str(path))
        except Exception as exc:  # the Rust library raises its own exception type
            raise KitError(f"{path}: not a tokenizers file ({exc})") from None
        return cls(backend, cls_id, sep_id, pad_id, unk_id)

    @classmethod
    def from_backend_specials(cls, backend) -> WordPieces:
        """Find ``[CLS] [SEP] [PAD] [UNK]`` (or ``<s> </s> <pad> <unk>``) in ``backend``."""
        ids = {}
        for role, names in {"cls": ("[CLS]", "<s>"), "sep": ("[SEP]", "</s>"),
                            "pad": ("[PAD]", "<pad>"), "unk": ("[UNK]", "<unk>")}.items():
            found = [backend.token_to_id(name) for name in names]
            found = [i for i in found if i is not None]
            if not found:
                raise KitError(f"the piece tokenizer has no {role} token (tried {names})")
            ids[role] = found[0]
        return cls(backend, ids["cls"], ids["sep"], ids["pad"], ids["unk"])

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.backend.save(str(path))
        return path

    def word(self, word: str) -> tuple[int, ...]:
        """The piece ids of one word (at least one: the unknown piece if it has none)."""
        pieces = self._cache.get(word)
        if pieces is None:
            pieces = tuple(self.backend.encode(word, add_special_tokens=False).ids)
            if not pieces:
                pieces = (self.unk_id,)
            self._cache[word] = pieces
        return pieces

    def encode(self, words: Sequence[str], start: int = 0, end: int | None = None,
               max_length: int | None = None) -> EncodedSentence:
        """``[CLS]``, the pieces of ``words[start:end]``, ``[SEP]``.

        With ``max_length`` (pieces, the two special ones included), the pieces past
        it are cut off: whole words from the end, and a word that alone is too
        long keeps its first pieces (its first piece is always kept when the
        window has room for one piece).
        """
        end = len(words) if end is None else end
        input_ids = [self.cls_id]
        word_ids: list[int | None] = [None]
        budget = None if max_length is None else max(int(max_length) - 2, 1)
        for index in range(start, end):
            pieces = self.word(words[index])
            if budget is not None:
                room = budget - (len(input_ids) - 1)
                if room <= 0:
                    break
                pieces = pieces[:room]
            input_ids.extend(pieces)
            word_ids.extend([index] * len(pieces))
        input_ids.append(self.sep_id)
        word_ids.append(None)
        return EncodedSentence(input_ids, word_ids)

    def windows(self, words: Sequence[str], max_length: int, context: int) -> list[Window]:
        """Windows that together give every word of ``words`` its tag.

        Each window holds at most ``max_length`` pieces (``[CLS]`` and ``[SEP]``
        included). A sentence that fits is one window. A longer one is cut into
        overlapping windows: each owns a run of words (the runs tile the
        sentence, in order, each word owned exactly once) and sees up to
        ``context`` words on either side of its run as context, when they fit.
        A single word with more pieces than a window holds is read from its
        first pieces.
        """
        budget = max(int(max_length) - 2, 1)
        sizes = [len(self.word(word)) for word in words]
        n = len(sizes)
        if sum(sizes) <= budget:
            return [Window(0, n, 0, n)]

        def fitting_end(start: int) -> int:
            total, end = 0, start
            while end < n and total + sizes[end] <= budget:
                total += sizes[end]
                end += 1
            return max(end, start + 1)  # a word too long alone still gets a window

        result: list[Window] = []
        own_start = start = 0
        while own_start < n:
            end = fitting_end(start)
            if end >= n:
                result.append(Window(start, n, own_start, n))
                break
            own_end = end - context if end - context > own_start else end
            result.append(Window(start, end, own_start, own_end))
            own_start = own_end
            start = max(own_start - context, 0)
            while start < own_start and fitting_end(start) <= own_start:
                start += 1
        return result


def train_word_pieces(sentences: Iterable[Sequence[str]], vocab_size: int = 2000,
                      min_frequency: int = 1, lowercase: bool = False):
    """A WordPiece tokenizer (a ``tokenizers.Tokenizer``) built from ``sentences``.

    It normalises and splits words like BERT (cased unless ``lowercase``) and holds
    :data:`SPECIAL_PIECES`, every character seen (as a word start and as a
    ``##`` continuation, so no seen word is unknown), then the word starts and
    ``##`` endings with the highest score (occurrences of words seen at least
    ``min_frequency`` times, times the piece's length), ties broken
    alphabetically, until ``vocab_size`` pieces. The pieces are chosen here
    rather than by ``tokenizers``' own trainer, whose choice between equally
    frequent merges changes from one process to the next: the same corpus always
    gives the same vocabulary. Used with a randomly initialised encoder, so that
    tests and the offline demo need no network.
    """
    from collections import Counter

    from tokenizers import Tokenizer as Backend
    from tokenizers import decoders, models, normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    splitter = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for sentence in sentences:
        for word in sentence:
            for part, _ in splitter.pre_tokenize_str(normalizer.normalize_str(word)):
                counts[part] += 1
    characters = sorted({char for word in counts for char in word})
    vocab = list(SPECIAL_PIECES.values()) + characters + [f"##{c}" for c in characters]
    scores: Counter[str] = Counter()
    for word, count in counts.items():
        if count < min_frequency:
            continue
        for k in range(2, len(word) + 1):
            scores[word[:k]] += count * k
        for k in range(1, len(word) - 1):
            scores[f"##{word[k:]}"] += count * (len(word) - k)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    known = set(vocab)
    for piece, _ in ranked:
        if len(vocab) >= vocab_size:
            break
        if piece not in known:
            vocab.append(piece)
            known.add(piece)
    backend = Backend(models.WordPiece({piece: i for i, piece in enumerate(vocab)},
                                       unk_token=SPECIAL_PIECES["unk"]))
    backend.normalizer = normalizer
    backend.pre_tokenizer = splitter
    backend.decoder = decoders.WordPiece()
    return backend
