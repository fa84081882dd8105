"""Length-grouped batches: sentences of similar length in one batch.

A padded batch costs as much as ``batch size x its longest sentence``; with
random batches most of that is padding, and an RNN pays for every padded
position step by step. :class:`LengthGroupedBatchSampler` shuffles the
sentences, cuts the shuffled order into chunks of a few dozen batches, sorts
each chunk by length, cuts it into batches and finally shuffles the batches.
Each batch then holds sentences of about the same length, while the order of
the batches, and which sentences meet in a chunk, still change every epoch.

All randomness comes from one ``torch.Generator``, so the batches are the same
for the same seed, and a run resumed from a checkpoint that saved the
generator's state sees the same batches as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import torch
from torch.utils.data import DataLoader, Sampler

from ner_helpers.errors import KitError


class LengthGroupedBatchSampler(Sampler[list[int]]):
    """Batches of row indices, each batch of sentences of similar length.

    Args:
        lengths: the length (number of tokens) of every row, by row index.
        batch_size: rows per batch (the last batch of a chunk may be smaller).
        generator: the source of all shuffling (its state moves on each epoch).
        chunk_batches: how many batches make one chunk sorted by length. Larger
            chunks give less padding but batches that follow one another are
            more alike; 1 gives random batches.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, generator: torch.Generator,
                 chunk_batches: int = 50) -> None:
        if int(batch_size) < 1:
            raise KitError(f"batch_size must be at least 1, got {batch_size}")
        if int(chunk_batches) < 1:
            raise KitError(f"chunk_batches must be at least 1, got {chunk_batches}")
        self.lengths = [int(length) for length in lengths]
        self.batch_size = int(batch_size)
        self.chunk_batches = int(chunk_batches)
        self.generator = generator

    def __len__(self) -> int:
        chunk = self.batch_size * self.chunk_batches
        full, rest = divmod(len(self.lengths), chunk)
        return full * self.chunk_batches + -(-rest // self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        order = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        chunk = self.batch_size * self.chunk_batches
        batches: list[list[int]] = []
        for start in range(0, len(order), chunk):
            # Stable sort: rows of equal length keep their shuffled order.
            members = sorted(order[start:start + chunk], key=self.lengths.__getitem__)
            batches += [members[i:i + self.batch_size]
                        for i in range(0, len(members), self.batch_size)]
        for position in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[position]


def padded_token_ratio(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> float:
    """Positions computed (real and padding, each batch padded to its longest
    row) per real token, over ``batches`` of row indices into ``lengths``."""
    real = sum(lengths[i] for batch in batches for i in batch)
    padded = sum(len(batch) * max(lengths[i] for i in batch) for batch in batches if batch)
    return padded / real if real else 1.0


def training_loader(rows: Sequence[Mapping], batch_size: int,
                    collate_fn: Callable[[list], dict[str, torch.Tensor]],
                    generator: torch.Generator, group_by_length: bool = False,
                    chunk_batches: int = 50, text_colname: str = "text") -> DataLoader:
    """The training DataLoader: random batches, or length-grouped ones.

    Either way ``collate_fn`` receives a list of rows, so any collator works
    with both; every row is seen once per epoch and all shuffling draws from
    ``generator``.
    """
    if not group_by_length:
        return DataLoader(rows, batch_size=batch_size, shuffle=True, collate_fn=collate_fn,
                          generator=generator)
    sampler = LengthGroupedBatchSampler([len(row[text_colname]) for row in rows], batch_size,
                                        generator, chunk_batches)
    # The loader draws a seed from its generator at each epoch too; giving it
    # the same one keeps the global random state (dropout) untouched.
    return DataLoader(rows, batch_sampler=sampler, collate_fn=collate_fn, generator=generator)
