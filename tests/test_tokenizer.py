"""The tokenizer: vocabulary pruning, saving and loading, tokenize() (TODO-1.1-1)."""

import json

import pytest
import torch

from ner_helpers.constants import PAD_TOKEN, UNK_TOKEN
from ner_helpers.errors import KitError
from ner_helpers.tokenizer import Tokenizer

ROWS = [
    {"text": ["the", "cat", "sat", "on", "the", "mat"]},
    {"text": ["the", "dog", "sat", "on", "the", "log"]},
    {"text": ["The", "cat", "ran"]},
]


def trained(**kwargs) -> Tokenizer:
    settings = {"min_freq": 1, "remove_frac": 0.0}
    settings.update(kwargs)
    lowercase = settings.pop("lowercase", False)
    return Tokenizer(PAD_TOKEN, UNK_TOKEN, lowercase=lowercase).train(ROWS, **settings)


def test_special_ids_come_first():
    tok = trained()
    assert tok.token2id[PAD_TOKEN] == 0 and tok.token2id[UNK_TOKEN] == 1
    assert tok.id2token[0] == PAD_TOKEN and tok.id2token[1] == UNK_TOKEN
    assert tok.vocab_size == len(tok.token2id) == len(tok.id2token)


def test_min_freq_keeps_frequent_tokens_only():
    tok = trained(min_freq=2)
    assert set(tok.token2id) == {PAD_TOKEN, UNK_TOKEN, "the", "sat", "on", "cat"}


def test_remove_frac_drops_the_rarest_of_the_kept():
    tok = trained(min_freq=2, remove_frac=0.5)
    # kept by frequency: the (4), then cat, on, sat (2 each, ties alphabetical);
    # dropping the rarest half leaves the and cat
    assert set(tok.token2id) - {PAD_TOKEN, UNK_TOKEN} == {"the", "cat"}


def test_lowercasing_merges_counts():
    tok = trained(min_freq=5, lowercase=True)
    assert "the" in tok.token2id and "The" not in tok.token2id


def test_training_is_repeatable():
    assert trained(min_freq=1).token2id == trained(min_freq=1).token2id


@pytest.mark.parametrize("kwargs", [{"min_freq": 0}, {"remove_frac": 1.0}, {"remove_frac": -0.1}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(KitError):
        trained(**kwargs)


def test_save_and_load_round_trip(tmp_path):
    tok = trained(lowercase=True)
    tok.save(tmp_path / "tok.json")
    again = Tokenizer.load(tmp_path / "tok.json")
    assert again.token2id == tok.token2id and again.lowercase


@pytest.mark.parametrize("payload, message", [
    ("not json", "not a tokenizer file"),
    (json.dumps({"pad_token": "p", "unk_token": "u", "lowercase": False,
                 "token2id": {"p": 0, "u": 2}}), "without gaps"),
])
def test_load_rejects_broken_files(tmp_path, payload, message):
    path = tmp_path / "tok.json"
    path.write_text(payload)
    with pytest.raises(KitError, match=message):
        Tokenizer.load(path)


def test_load_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(KitError, match="ner-kit tokenizer"):
        Tokenizer.load(tmp_path / "absent.json")


def test_tokenize_string_and_list_agree():
    tok = trained()
    a = tok.tokenize("the cat sat")
    b = tok.tokenize(["the", "cat", "sat"])
    assert torch.equal(a["input_ids"], b["input_ids"])
    assert a["input_ids"].dtype == torch.long and a["padding_mask"].dtype == torch.long
    assert a["padding_mask"].tolist() == [0, 0, 0]


def test_unknown_tokens_get_the_unk_id_and_lowercasing_applies():
    tok = trained(lowercase=True)
    ids = tok.tokenize(["THE", "zebra"])["input_ids"].tolist()
    assert ids == [tok.token2id["the"], tok.unk_id]


@pytest.mark.parametrize("side", ["left", "right"])
def test_padding_side_and_mask(side):
    tok = trained()
    out = tok.tokenize(["the", "cat"], max_length=5, padding_side=side)
    ids, mask = out["input_ids"].tolist(), out["padding_mask"].tolist()
    word_ids = [tok.token2id["the"], tok.token2id["cat"]]
    if side == "right":
        assert ids == word_ids + [0, 0, 0] and mask == [0, 0, 1, 1, 1]
    else:
        assert ids == [0, 0, 0] + word_ids and mask == [1, 1, 1, 0, 0]


@pytest.mark.parametrize("side, kept", [("right", ["the", "cat"]), ("left", ["on", "mat"])])
def test_truncation_side(side, kept):
    tok = trained()
    out = tok.tokenize(["the", "cat", "sat", "on", "mat"], max_length=2, truncation_side=side)
    assert out["input_ids"].tolist() == [tok.token2id[t] for t in kept]
    assert out["padding_mask"].tolist() == [0, 0]


def test_bad_side_is_refused():
    with pytest.raises(ValueError):
        trained().tokenize("the", padding_side="middle")
