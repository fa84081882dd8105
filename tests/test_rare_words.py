"""Rare-word dropout: which ids count as rare, and that only they are replaced."""

import pytest
import torch

from ner_helpers.config import load_config
from ner_helpers.errors import KitError
from ner_helpers.experiment import build_predictor
from ner_helpers.model_config import ModelConfig
from ner_helpers.predictor import NERPredictor
from ner_helpers.rare_words import rare_token_ids
from ner_helpers.tokenizer import Tokenizer

ROWS = [{"text": "Paris is in France".split()},
        {"text": "Berlin is in Germany".split()},
        {"text": "Rome is big".split()}]


def vocabulary_tokenizer(lowercase: bool = False) -> Tokenizer:
    return Tokenizer(lowercase=lowercase).train(ROWS, min_freq=1, remove_frac=0.0)


def test_rare_ids_are_the_tokens_seen_at_most_max_count_times():
    tokenizer = vocabulary_tokenizer()

    def rare_names(max_count: int) -> set[str]:
        return {tokenizer.id2token[i] for i in rare_token_ids(tokenizer, ROWS, max_count)}

    once = {"Paris", "France", "Berlin", "Germany", "Rome", "big"}
    assert rare_names(1) == once
    assert rare_names(2) == once | {"in"}
    assert rare_names(3) == once | {"in", "is"}


def test_rare_ids_never_include_pad_or_unknown_and_follow_lowercasing():
    tokenizer = vocabulary_tokenizer(lowercase=True)
    rows = ROWS + [{"text": ["PARIS", "<|unk|>", "<|pad|>", "Atlantis"]}]
    ids = rare_token_ids(tokenizer, rows, 1)
    assert tokenizer.token2id["paris"] not in ids          # Paris + PARIS: seen twice
    assert tokenizer.pad_id not in ids and tokenizer.unk_id not in ids
    assert ids == sorted(ids)
    with pytest.raises(KitError, match="rare_word_max_count"):
        rare_token_ids(tokenizer, rows, 0)


def test_only_rare_ids_are_replaced_only_in_training_and_never_padding():
    torch.manual_seed(3)
    config = ModelConfig("rnn", vocab_size=40, embedding_dim=4, hidden_dim=4,
                         rare_word_dropout=0.5)
    predictor = NERPredictor(config)
    predictor.set_rare_words(range(20, 40))
    ids = torch.randint(2, 40, (64, 30))
    ids[:, 25:] = 0
    dropped = predictor.drop_words(ids)
    replaced = dropped != ids
    assert torch.all(dropped[replaced] == config.unk_idx)
    assert not replaced[ids < 20].any()                   # frequent ids and padding kept
    rare = ids >= 20
    assert 0.4 < replaced[rare].float().mean() < 0.6
    predictor.eval()
    assert torch.equal(predictor(ids), predictor(ids))


def test_rare_word_mask_is_not_saved_with_the_weights(tmp_path):
    predictor = NERPredictor(ModelConfig("ffnn", vocab_size=10, embedding_dim=3, hidden_dim=3,
                                         rare_word_dropout=0.5))
    predictor.set_rare_words([7, 8, 9])
    assert "rare_words" not in predictor.state_dict()
    loaded = NERPredictor.load(predictor.save(tmp_path / "model"))
    assert loaded.config.rare_word_dropout == 0.5 and loaded.rare_words is None


def test_training_without_marked_rare_words_says_how_to_mark_them():
    predictor = NERPredictor(ModelConfig("ffnn", vocab_size=10, embedding_dim=3, hidden_dim=3,
                                         rare_word_dropout=0.5))
    predictor.train()
    with pytest.raises(KitError, match="set_rare_words"):
        predictor(torch.tensor([[2, 3]]))
    predictor.eval()
    assert predictor(torch.tensor([[2, 3]])).shape == (1, 2, 9)


def test_build_predictor_marks_the_rare_words_of_the_training_rows():
    tokenizer = vocabulary_tokenizer()
    config = load_config("rnn")
    config["model"].update(rare_word_dropout=0.5, rare_word_max_count=1)
    predictor = build_predictor(config, tokenizer, ROWS)
    marked = set(torch.nonzero(predictor.rare_words).flatten().tolist())
    assert marked == set(rare_token_ids(tokenizer, ROWS, 1))
    config["model"]["rare_word_dropout"] = 0.0
    assert build_predictor(config, tokenizer, ROWS).rare_words is None


def test_rare_word_settings_are_validated():
    with pytest.raises(KitError, match="rare_word_dropout"):
        ModelConfig("rnn", vocab_size=5, rare_word_dropout=1.0)
    with pytest.raises(KitError, match="rare_word_max_count"):
        ModelConfig("rnn", vocab_size=5, rare_word_max_count=0)
