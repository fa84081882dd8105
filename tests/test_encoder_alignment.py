"""The encoder tagger's word pieces at the edges: labels go onto each word's first piece
and predictions come back from it, for words of many pieces, words the piece tokenizer
maps to nothing, characters the vocabulary lacks, and sentences longer than the
encoder's maximum length. A tiny random encoder over a WordPiece vocabulary trained
here stands in for a pretrained one (no network)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

pytest.importorskip("transformers")

from ner_helpers.constants import NER_DECODING_MAP, NER_ENCODING_MAP, NUM_NER_TAGS  # noqa: E402
from ner_helpers.encoder import first_piece_labels  # noqa: E402
from ner_helpers.encoder_config import EncoderConfig  # noqa: E402
from ner_helpers.encoder_predictor import EncoderPredictor  # noqa: E402
from ner_helpers.errors import KitError  # noqa: E402
from ner_helpers.piece_collator import PieceCollator, all_piece_labels  # noqa: E402
from ner_helpers.word_pieces import train_word_pieces  # noqa: E402

CORPUS = [["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."],
          ["Peter", "Blackburn", "said", "on", "Friday", "."],
          ["The", "European", "Commission", "said", "on", "Thursday", "it", "disagreed"],
          ["Germany", "'s", "representative", "to", "the", "European", "Union", "."]] * 20
MAX_LENGTH = 24   # pieces per window of the tiny encoder, [CLS] and [SEP] included
RARE = "Blackmailers"  # not in the corpus: split into many pieces
ZERO_WIDTH = "\u200b"  # BERT's normaliser deletes it: the word has no piece of its own


@pytest.fixture(scope="module")
def predictor(tmp_path_factory) -> EncoderPredictor:
    folder = tmp_path_factory.mktemp("pieces")
    train_word_pieces(CORPUS, vocab_size=150).save(str(folder / "tokenizer.json"))
    torch.manual_seed(0)
    config = EncoderConfig.from_dict({
        "model_type": "encoder", "encoder": f"tiny:{folder}", "tiny_hidden_size": 16,
        "tiny_layers": 1, "tiny_heads": 2, "tiny_max_length": MAX_LENGTH,
        "gru_hidden_dim": 8, "window_context": 2})
    return EncoderPredictor.build(config)


def position_tags(predictor: EncoderPredictor):
    """A forward pass whose arg-max at piece position p is tag p % 9: the tag of a word
    tells which piece of which window it was read from."""
    def forward(input_ids: torch.Tensor) -> torch.Tensor:
        batch, length = input_ids.shape
        positions = torch.arange(length) % NUM_NER_TAGS
        return torch.nn.functional.one_hot(positions, NUM_NER_TAGS).float() \
            .expand(batch, length, -1)
    return forward


def expected_tags(predictor: EncoderPredictor, words: list[str]) -> list[str]:
    """Each word's tag under :func:`position_tags`: the position of its first piece in
    the window that owns it."""
    config = predictor.config
    tags = [None] * len(words)
    for window in predictor.pieces.windows(words, config.window_length, config.window_context):
        encoded = predictor.pieces.encode(words, window.start, window.end, config.window_length)
        for word in range(window.own_start, window.own_end):
            position = encoded.word_ids.index(word)
            tags[word] = NER_DECODING_MAP[position % NUM_NER_TAGS]
    assert None not in tags
    return tags


def test_first_piece_labels_of_words_with_many_pieces():
    word_ids = [None, 0, 1, 1, 1, 2, 2, None, None]
    assert first_piece_labels(word_ids, [3, 0, 5]) == [-100, 3, 0, -100, -100, 5, -100,
                                                       -100, -100]
    # Two neighbouring words with the same label are still two first pieces.
    assert first_piece_labels([None, 0, 1, 1, None], [4, 4]) == [-100, 4, 4, -100, -100]


def test_all_piece_labels_continue_a_word_inside():
    b_per, i_per = NER_ENCODING_MAP["B-PER"], NER_ENCODING_MAP["I-PER"]
    assert all_piece_labels([None, 0, 0, 0, 1, None], [b_per, 0]) == \
        [-100, b_per, i_per, i_per, 0, -100]


def test_a_word_of_many_pieces_is_labelled_and_tagged_on_its_first_piece(predictor):
    pieces = predictor.pieces
    assert len(pieces.word(RARE)) > 3
    row = {"text": ["Peter", RARE, "said"], "NER": ["B-PER", "I-PER", "O"]}
    batch = PieceCollator(pieces, MAX_LENGTH)([row])
    encoded = pieces.encode(row["text"])
    firsts = [encoded.word_ids.index(w) for w in range(3)]
    labels = batch["labels"][0].tolist()
    assert [labels[p] for p in firsts] == [NER_ENCODING_MAP[t] for t in row["NER"]]
    assert sum(label != -100 for label in labels) == 3
    predictor.forward = position_tags(predictor)
    try:
        tags = predictor.tag(None, [row["text"]])
        assert tags == [[NER_DECODING_MAP[p % NUM_NER_TAGS] for p in firsts]]
    finally:
        del predictor.forward


@pytest.mark.parametrize("odd", [ZERO_WIDTH, "\x00", " "])
def test_a_word_the_tokenizer_maps_to_nothing_keeps_its_place(predictor, odd):
    pieces = predictor.pieces
    words = ["Peter", odd, "said", "Germany"]
    assert pieces.backend.encode(odd, add_special_tokens=False).ids == []
    assert pieces.word(odd) == (pieces.unk_id,)
    row = {"text": words, "NER": ["B-PER", "B-MISC", "O", "B-LOC"]}
    labels = [t for t in PieceCollator(pieces, MAX_LENGTH)([row])["labels"][0].tolist()
              if t != -100]
    assert labels == [NER_ENCODING_MAP[t] for t in row["NER"]]  # nothing shifted
    predictor.forward = position_tags(predictor)
    try:
        tags = predictor.tag(None, [words])[0]
    finally:
        del predictor.forward
    assert len(tags) == len(words) and tags == expected_tags(predictor, words)


def test_characters_the_vocabulary_lacks_become_the_unknown_piece(predictor):
    pieces = predictor.pieces
    for word in ("Zürich", "北京", "🙂"):  # BERT's normaliser splits the two CJK characters
        assert set(pieces.word(word)) == {pieces.unk_id}, word
    words = ["北京", "said", "Zürich", "🙂"]
    row = {"text": words, "NER": ["B-LOC", "O", "B-LOC", "O"]}
    labels = [t for t in PieceCollator(pieces, MAX_LENGTH)([row])["labels"][0].tolist()
              if t != -100]
    assert labels == [NER_ENCODING_MAP[t] for t in row["NER"]]
    assert len(predictor.tag(None, [words])[0]) == 4


@pytest.mark.parametrize("repeats", [1, 3, 12])
def test_long_sentences_are_read_in_windows_that_own_every_word_once(predictor, repeats):
    words = (["Peter", "Blackburn", "said", "the", "European", "Commission", "disagreed"]
             * repeats)
    windows = predictor.pieces.windows(words, MAX_LENGTH, context=2)
    owned = [w for window in windows for w in range(window.own_start, window.own_end)]
    assert owned == list(range(len(words)))
    for window in windows:
        assert window.start <= window.own_start < window.own_end <= window.end
        encoded = predictor.pieces.encode(words, window.start, window.end, MAX_LENGTH)
        assert len(encoded.input_ids) <= MAX_LENGTH
        assert set(range(window.own_start, window.own_end)) <= set(encoded.word_ids)
    if repeats > 1:
        assert len(windows) > 1
    predictor.forward = position_tags(predictor)
    try:
        tags = predictor.tag(None, [words, ["EU"]], batch_size=3)
    finally:
        del predictor.forward
    assert tags[0] == expected_tags(predictor, words)
    assert tags[1] == expected_tags(predictor, ["EU"])


def test_batches_grouped_by_length_give_each_sentence_its_own_tags(predictor):
    """tag() batches windows of similar length together; every tag still goes back to
    the sentence and word it was read for, whatever the batch size."""
    sentences = [CORPUS[2] * 3, ["EU"], CORPUS[1], [RARE, "said"], CORPUS[0] * 2]
    predictor.forward = position_tags(predictor)
    try:
        for batch_size in (1, 2, 64):
            tags = predictor.tag(None, sentences, batch_size=batch_size)
            assert tags == [expected_tags(predictor, list(s)) for s in sentences], batch_size
    finally:
        del predictor.forward
    assert predictor.tag(None, sentences, batch_size=2) == \
        [predictor.tag(None, [s])[0] for s in sentences]


def test_a_word_longer_than_a_window_is_read_from_its_first_pieces(predictor):
    giant = RARE * 6
    assert len(predictor.pieces.word(giant)) > MAX_LENGTH
    words = ["Peter", giant, "said"]
    encoded = predictor.pieces.encode(words, max_length=MAX_LENGTH)
    assert len(encoded.input_ids) == MAX_LENGTH
    assert len(predictor.tag(None, [words])[0]) == 3


def test_training_batches_truncate_without_shifting_labels(predictor):
    words = ["Peter", "Blackburn", "said", "the", "European", "Commission", "disagreed"] * 2
    tags = ["B-PER", "I-PER", "O", "O", "B-ORG", "I-ORG", "O"] * 2
    batch = PieceCollator(predictor.pieces, MAX_LENGTH)([{"text": words, "NER": tags}])
    assert batch["input_ids"].shape[1] == MAX_LENGTH
    kept = [t for t in batch["labels"][0].tolist() if t != -100]
    assert 0 < len(kept) < len(words)
    assert kept == [NER_ENCODING_MAP[t] for t in tags[:len(kept)]]  # a prefix, in order


def test_padding_does_not_change_a_sentence_logits(predictor):
    predictor.eval()
    collate = PieceCollator(predictor.pieces, MAX_LENGTH)
    alone = collate([{"text": ["EU", "rejects"]}])["input_ids"]
    batch = collate([{"text": ["EU", "rejects"]}, {"text": CORPUS[0]}])
    assert int(batch["padding_mask"][0].sum()) > 0
    with torch.no_grad():
        one = predictor(alone)[0]
        padded = predictor(batch["input_ids"])[0, :alone.shape[1]]
    torch.testing.assert_close(one, padded, atol=1e-5, rtol=1e-4)


def test_a_saved_model_loads_offline_and_tags_the_same(predictor, tmp_path):
    folder = predictor.save(tmp_path / "model")
    loaded = EncoderPredictor.load(folder)
    sentences = [CORPUS[1], CORPUS[2] * 3, ["Zürich", ZERO_WIDTH]]
    assert loaded.tag(None, sentences) == predictor.tag(None, sentences)
    state = torch.load(folder / "weights.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_a_saved_model_whose_encoder_config_disagrees_is_refused(predictor, tmp_path):
    import json

    folder = predictor.save(tmp_path / "model")
    data = json.loads((folder / "encoder_config.json").read_text())
    data["num_hidden_layers"] = 3
    (folder / "encoder_config.json").write_text(json.dumps(data))
    with pytest.raises(KitError, match="num_hidden_layers"):
        EncoderPredictor.load(folder)


def test_bad_encoder_settings_are_one_line_errors(tmp_path):
    with pytest.raises(KitError, match="label_pieces"):
        EncoderConfig.from_dict({"model_type": "encoder", "label_pieces": "last"})
    with pytest.raises(KitError, match="unknown keys"):
        EncoderConfig.from_dict({"model_type": "encoder", "layers": 2})
    with pytest.raises(KitError, match="tokenizer.json"):
        EncoderPredictor.build(EncoderConfig.from_dict(
            {"model_type": "encoder", "encoder": f"tiny:{tmp_path}"}))


def test_the_core_kit_never_imports_transformers():
    code = ("import sys; import ner_helpers.experiment, ner_helpers.predictions, "
            "ner_helpers.cli.main as m; m.build_parser(); "
            "from ner_helpers.checks import TODOS; "
            "assert '8-1' in TODOS; "
            "bad = [n for n in ('transformers', 'tokenizers') if n in sys.modules]; "
            "assert not bad, bad")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
