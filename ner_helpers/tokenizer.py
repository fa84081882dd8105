"""Word-level tokenizer: vocabulary training, saving, loading and tokenization.

A sentence becomes a sequence of token ids. The vocabulary keeps the tokens
seen at least ``min_freq`` times in the training text, then drops the rarest
``remove_frac`` of those. Every other token maps to the unknown id.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch

from ner_helpers.constants import PAD_TOKEN, UNK_TOKEN
from ner_helpers.errors import KitError

SIDES = ("left", "right")


class Tokenizer:
    """Maps whitespace-separated words to ids; id 0 is padding, id 1 is unknown.

    Attributes:
        token2id: token string -> id.
        id2token: id -> token string.
        vocab_size: number of ids, the pad and unknown tokens included.
    """

    def __init__(self, pad_token: str = PAD_TOKEN, unk_token: str = UNK_TOKEN,
                 lowercase: bool = False) -> None:
        self.pad_token = pad_token
        self.unk_token = unk_token
        self.lowercase = lowercase
        self.token2id: dict[str, int] = {pad_token: 0, unk_token: 1}
        self.id2token: dict[int, str] = {0: pad_token, 1: unk_token}

    @property
    def vocab_size(self) -> int:
        return len(self.token2id)

    @property
    def pad_id(self) -> int:
        return self.token2id[self.pad_token]

    @property
    def unk_id(self) -> int:
        return self.token2id[self.unk_token]

    # ------------------------------------------------------------------ training
    def train(self, dataset: Iterable[Mapping], text_colname: str = "text", min_freq: int = 2,
              remove_frac: float = 0.3) -> Tokenizer:
        """Build the vocabulary from the ``text_colname`` column of ``dataset``.

        1. Count every token (lowercased first when the tokenizer lowercases).
        2. Keep the tokens that occur at least ``min_freq`` times.
        3. Sort those by frequency (ties alphabetically, so training is
           repeatable) and drop the rarest ``remove_frac`` of them.
        """
        if min_freq < 1:
            raise KitError(f"min_freq must be at least 1, got {min_freq}")
        if not 0.0 <= remove_frac < 1.0:
            raise KitError(f"remove_frac must be in [0, 1), got {remove_frac}")
        counts: Counter[str] = Counter()
        for row in dataset:
            counts.update(self.normalise(row[text_colname]))
        counts.pop(self.pad_token, None)
        counts.pop(self.unk_token, None)

        frequent = [(token, n) for token, n in counts.items() if n >= min_freq]
        frequent.sort(key=lambda item: (-item[1], item[0]))
        num_kept = len(frequent) - int(len(frequent) * remove_frac)

        self.token2id = {self.pad_token: 0, self.unk_token: 1}
        for token, _ in frequent[:num_kept]:
            self.token2id[token] = len(self.token2id)
        self.id2token = {idx: token for token, idx in self.token2id.items()}
        return self

    def normalise(self, tokens: Iterable[str]) -> list[str]:
        """The tokens as the vocabulary stores them (lowercased when the tokenizer lowercases)."""
        return [token.lower() for token in tokens] if self.lowercase else list(tokens)

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> None:
        """Write the tokenizer as JSON (settings and vocabulary)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "pad_token": self.pad_token,
            "unk_token": self.unk_token,
            "lowercase": self.lowercase,
            "token2id": self.token2id,
        }
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        """Read a tokenizer written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise KitError(f"{path}: tokenizer file not found (train one with `ner-kit tokenizer`)")
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            tokenizer = cls(payload["pad_token"], payload["unk_token"], bool(payload["lowercase"]))
            token2id = {str(token): int(idx) for token, idx in payload["token2id"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KitError(f"{path}: not a tokenizer file ({exc})") from None
        if sorted(token2id.values()) != list(range(len(token2id))):
            raise KitError(f"{path}: token ids must be 0..{len(token2id) - 1} without gaps")
        if token2id.get(tokenizer.pad_token) != 0 or token2id.get(tokenizer.unk_token) != 1:
            raise KitError(f"{path}: the pad token must have id 0 and the unknown token id 1")
        tokenizer.token2id = token2id
        tokenizer.id2token = {idx: token for token, idx in token2id.items()}
        return tokenizer

    # ------------------------------------------------------------------ tokenizing
    def tokenize(self, input_seq: str | list[str], max_length: int | None = None,
                 padding_side: str = "right",
                 truncation_side: str = "right") -> dict[str, torch.Tensor]:
        """Turn one sentence into token ids and a padding mask.

        Args:
            input_seq: a string (split on whitespace) or a list of tokens.
            max_length: when given, the output has exactly this length: longer
                inputs are truncated on ``truncation_side``, shorter ones padded
                on ``padding_side`` (``max_length=0`` gives empty tensors).
            padding_side, truncation_side: ``"left"`` or ``"right"``.

        Returns:
            ``{"input_ids": LongTensor[L], "padding_mask": LongTensor[L]}`` where
            ``padding_mask`` is 1 exactly at pad positions and 0 elsewhere; always
            1-D, also for a one-token sentence (``L = 1``) or ``L = 0``.
        """
        if padding_side not in SIDES or truncation_side not in SIDES:
            raise ValueError(f"padding_side and truncation_side must be one of {SIDES}")
        if max_length is not None and max_length < 0:
            raise ValueError(f"max_length must be non-negative, got {max_length}")
        # TODO-1.1-1 hint: split strings on whitespace, lowercase when self.lowercase,
        # map unknown tokens to self.unk_id, then truncate and pad to max_length on the
        # requested sides; the mask is 1 at pad positions.
        ### BEGIN SOLUTION
        tokens = input_seq.split() if isinstance(input_seq, str) else list(input_seq)
        if self.lowercase:
            tokens = [token.lower() for token in tokens]
        ids = [self.token2id.get(token, self.unk_id) for token in tokens]

        if max_length is not None and len(ids) > max_length:
            ids = ids[:max_length] if truncation_side == "right" else ids[len(ids) - max_length:]
        num_pad = 0 if max_length is None else max_length - len(ids)
        padding, real = [self.pad_id] * num_pad, [0] * len(ids)
        if padding_side == "right":
            input_ids, padding_mask = ids + padding, real + [1] * num_pad
        else:
            input_ids, padding_mask = padding + ids, [1] * num_pad + real
        return {
            "input_ids": torch.tensor(input_ids, dtype=torch.long),
            "padding_mask": torch.tensor(padding_mask, dtype=torch.long),
        }
        ### END SOLUTION
