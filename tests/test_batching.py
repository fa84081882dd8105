"""Length-grouped training batches (ner_helpers.batching) and the trainer using them."""

import random

import pytest
import torch
from test_trainer import make_trainer, params

from ner_helpers.batching import LengthGroupedBatchSampler, padded_token_ratio, training_loader
from ner_helpers.errors import KitError

# Sentence lengths with the long tail of a real corpus: many short, a few long.
_RNG = random.Random(5)
LENGTHS = [_RNG.choice([1, 2, 2, 3, 3, 5, 8, 12, 15, 20, 30, 45]) for _ in range(1003)]


def sampler(seed=0, batch_size=8, chunk_batches=5, lengths=LENGTHS):
    return LengthGroupedBatchSampler(lengths, batch_size, torch.Generator().manual_seed(seed),
                                     chunk_batches)


def test_every_index_once_per_epoch_and_len_counts_the_batches():
    grouped = sampler()
    for _ in range(3):  # several epochs from the same sampler
        batches = list(grouped)
        assert sorted(i for batch in batches for i in batch) == list(range(len(LENGTHS)))
        assert len(batches) == len(grouped)
        assert all(1 <= len(batch) <= 8 for batch in batches)


def test_len_with_a_short_last_chunk():
    # 23 rows, chunks of 2 x 4 rows: chunks 8, 8, 7 -> batches 2, 2, 2.
    assert len(sampler(batch_size=4, chunk_batches=2, lengths=[3] * 23)) == 6
    assert len(list(sampler(batch_size=4, chunk_batches=2, lengths=[3] * 23))) == 6


def test_batches_of_a_chunk_are_sorted_by_length():
    """Rebuild the chunks from the generator's draws: each chunk, cut in
    batch-size pieces after a stable sort by length, gives exactly the batches."""
    batch_size, chunk_batches = 8, 5
    generator = torch.Generator().manual_seed(3)
    order = torch.randperm(len(LENGTHS), generator=torch.Generator().manual_seed(3)).tolist()
    batches = list(LengthGroupedBatchSampler(LENGTHS, batch_size, generator, chunk_batches))
    chunk = batch_size * chunk_batches
    expected = []
    for start in range(0, len(order), chunk):
        members = sorted(order[start:start + chunk], key=LENGTHS.__getitem__)
        expected += [members[i:i + batch_size] for i in range(0, len(members), batch_size)]
    assert sorted(map(tuple, batches)) == sorted(map(tuple, expected))
    for batch in batches:  # within a batch, lengths never decrease
        lengths = [LENGTHS[i] for i in batch]
        assert lengths == sorted(lengths)


def test_batch_order_is_shuffled_not_sorted():
    batches = list(sampler())
    longest = [max(LENGTHS[i] for i in batch) for batch in batches]
    assert longest != sorted(longest) and longest != sorted(longest, reverse=True)


def test_same_seed_same_batches_other_seed_others():
    assert list(sampler(seed=1)) == list(sampler(seed=1))
    assert list(sampler(seed=1)) != list(sampler(seed=2))
    grouped = sampler(seed=1)
    assert list(grouped) != list(grouped)  # a new order each epoch


def test_generator_state_restores_the_next_epoch():
    generator = torch.Generator().manual_seed(4)
    grouped = LengthGroupedBatchSampler(LENGTHS, 8, generator, 5)
    list(grouped)
    saved = generator.get_state()
    second = list(grouped)
    generator.set_state(saved)
    assert list(grouped) == second


def test_grouping_pays_for_far_less_padding():
    plain = training_loader([{"text": ["w"] * n} for n in LENGTHS], 8, list,
                            torch.Generator().manual_seed(0))
    random_ratio = padded_token_ratio(LENGTHS, list(plain.batch_sampler))
    grouped_ratio = padded_token_ratio(LENGTHS, list(sampler(chunk_batches=50)))
    assert grouped_ratio < 1.1 < 2.5 < random_ratio


def test_padded_token_ratio_counts_batch_size_times_longest():
    # batch [0, 1]: 2 x 4 positions for 5 tokens; batch [2]: 2 for 2.
    assert padded_token_ratio([1, 4, 2], [[0, 1], [2]]) == pytest.approx(10 / 7)


def test_loader_hands_the_collator_lists_of_rows():
    rows = [{"text": ["w"] * n, "id": i} for i, n in enumerate(LENGTHS[:50])]
    seen = []
    loader = training_loader(rows, 4, lambda batch: seen.append(batch) or len(batch),
                             torch.Generator().manual_seed(0), group_by_length=True,
                             chunk_batches=3)
    assert sum(loader) == 50
    assert all(isinstance(batch, list) and all(isinstance(row, dict) for row in batch)
               for batch in seen)
    assert sorted(row["id"] for batch in seen for row in batch) == list(range(50))


def test_bad_sizes_give_one_line_errors():
    with pytest.raises(KitError, match="batch_size"):
        sampler(batch_size=0)
    with pytest.raises(KitError, match="chunk_batches"):
        sampler(chunk_batches=0)


def test_resume_with_length_grouped_batches_matches_an_uninterrupted_run(tmp_path):
    grouped = {"group_by_length": True, "group_chunk_batches": 2}
    straight = make_trainer("rnn", **grouped)
    straight.train(3, output_dir=tmp_path / "a")
    make_trainer("rnn", **grouped).train(2, output_dir=tmp_path / "b")
    resumed = make_trainer("rnn", **grouped)
    resumed.train(3, output_dir=tmp_path / "b", resume_from=tmp_path / "b")
    assert torch.equal(params(straight.model), params(resumed.model))
    assert [entry["val"] for entry in straight.history] == [
        entry["val"] for entry in resumed.history]


def test_length_grouped_batches_hold_sentences_of_one_length():
    trainer = make_trainer(group_by_length=True, group_chunk_batches=5, batch_size=4)
    for batch in trainer.train_loader:
        real = (batch["labels"] != -100).sum(dim=1)
        assert real.min() == real.max() == batch["labels"].shape[1]
