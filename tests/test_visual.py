"""The visual tools draw what they promise and reject malformed input clearly."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ner_helpers.constants import NER_ENCODING_MAP, NER_TAGS  # noqa: E402
from ner_helpers.errors import KitError  # noqa: E402
from ner_helpers.visual import (  # noqa: E402
    ENTITY_COLORS,
    PredictionTable,
    activation_heatmap,
    confusion_matrix_plot,
    learning_curves,
    padding_share,
    prediction_table,
    sentence_length_plot,
    tag_color,
    tag_confusion_matrix,
    vocabulary_size_plot,
)

TOKENS = ["EU", "rejects", "German", "call", "to", "boycott", "<British>", "lamb", "."]
TRUE = ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"]
PRED = ["B-ORG", "O", "B-PER", "O", "O", "O", "B-MISC", "I-MISC", "O"]
UNK = [False, False, False, False, False, True, False, False, False]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def save(fig: Figure, folder, name: str) -> None:
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=80)
    assert path.stat().st_size > 1000


# ---------------------------------------------------------------------------
# prediction_table
# ---------------------------------------------------------------------------


def test_prediction_table_html_shows_tokens_errors_and_unknown_tokens():
    table = prediction_table(TOKENS, PRED, TRUE, UNK)
    assert isinstance(table, PredictionTable)
    page = table._repr_html_()
    for token in ["EU", "rejects", "German", "lamb"]:
        assert f">{token}</td>" in page
    assert "&lt;British&gt;" in page and "<British>" not in page  # tokens are escaped
    assert page.count('class="wrong"') == 2  # German and lamb
    assert 'title="true tag: B-MISC"' in page
    assert 'title="true tag: O"' in page
    assert page.count('class="unk"') == 1
    assert "2 wrong tags" in page and "1 unknown token" in page


def test_prediction_table_colours_b_and_i_tags_of_a_type_alike():
    page = prediction_table(["a", "b", "c"], ["B-LOC", "I-LOC", "O"])._repr_html_()
    cells = [line for line in page.split("<td") if "LOC</td>" in line]
    backgrounds = {cell.split("background:")[1].split(";")[0] for cell in cells}
    assert len(cells) == 2 and len(backgrounds) == 1
    assert tag_color("B-PER") == tag_color("I-PER") == ENTITY_COLORS["PER"]
    assert tag_color("O") is None
    assert len(set(ENTITY_COLORS.values())) == len(ENTITY_COLORS)


def test_prediction_table_text_is_aligned():
    text = str(prediction_table(TOKENS, PRED, TRUE, UNK))
    lines = text.splitlines()
    names = [line.split()[0] for line in lines if line and not line.startswith("(")]
    assert names == ["token", "unknown", "predicted", "true", "wrong"]
    token_line, unk_line, pred_line, true_line, wrong_line = lines[:5]
    # Each column starts at the same offset in every row.
    start = len("token")
    for column, token in enumerate(TOKENS):
        start = token_line.index(token, start)
        assert pred_line[start:].startswith(PRED[column])
        assert true_line[start:].startswith(TRUE[column])
    assert unk_line[token_line.index("boycott") :].startswith("UNK")
    assert wrong_line.count("^") == 2
    assert wrong_line[token_line.index("German")] == "^"
    assert "2 wrong tags" in lines[-1]


def test_prediction_table_text_wraps_long_sentences():
    tokens = [f"token{i}" for i in range(40)]
    table = prediction_table(tokens, ["O"] * 40)
    text = str(table)
    assert all(len(line) <= table.width for line in text.splitlines())
    assert text.count("predicted") > 1
    assert all(token in text for token in tokens)


def test_prediction_table_without_gold_or_flags():
    table = prediction_table("Peter lives in Paris", ["B-PER", "O", "O", "B-LOC"])
    assert [name for name, _ in table.rows()] == ["token", "predicted"]
    assert 'class="wrong"' not in table._repr_html_()
    assert "Paris" in str(table)


def test_prediction_table_accepts_tag_ids_and_tensors():
    pred_ids = torch.tensor([NER_ENCODING_MAP[tag] for tag in PRED])
    unk = torch.tensor([int(flag) for flag in UNK])
    table = prediction_table(TOKENS, pred_ids, TRUE, unk)
    assert table.pred_tags == PRED
    assert table.unk_flags == UNK


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pred_tags": PRED[:-1]}, "pred_tags has 8 entries but there are 9 tokens"),
        ({"pred_tags": PRED, "true_tags": TRUE + ["O"]}, "true_tags has 10 entries"),
        ({"pred_tags": PRED, "unk_flags": UNK[:3]}, "unk_flags has 3 entries"),
        ({"pred_tags": [0] * 8 + [42]}, r"pred_tags\[8\] is 42"),
        ({"pred_tags": "B-ORG O"}, "not one string"),
    ],
)
def test_prediction_table_rejects_mismatched_input(kwargs, message):
    with pytest.raises(KitError, match=message):
        prediction_table(TOKENS, **kwargs)


# ---------------------------------------------------------------------------
# activation_heatmap
# ---------------------------------------------------------------------------


def test_activation_heatmap_draws_tokens_units_and_a_centred_colour_bar(tmp_path):
    activations = torch.linspace(-2, 3, len(TOKENS) * 16).reshape(len(TOKENS), 16)
    fig = activation_heatmap(activations.requires_grad_(), TOKENS, title="layer 1")
    assert isinstance(fig, Figure)
    heatmap_ax, colorbar_ax = fig.axes
    assert [label.get_text() for label in heatmap_ax.get_yticklabels()] == TOKENS
    image = heatmap_ax.images[0]
    assert image.get_array().shape == (len(TOKENS), 16)
    assert image.norm.vmin == -3 and image.norm.vmax == 3  # symmetric around 0
    assert heatmap_ax.get_title() == "layer 1"
    assert colorbar_ax.get_ylabel() == "activation"
    save(fig, tmp_path, "activation_heatmap")


def test_activation_heatmap_limits_units_and_draws_into_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    returned = activation_heatmap(np.ones((3, 50)), ["a", "b", "c"], ax=right, max_units=10)
    assert returned is fig
    assert right.images[0].get_array().shape == (3, 10)
    assert "first 10 of 50" in right.get_xlabel()
    assert not left.images


@pytest.mark.parametrize(
    ("activations", "message"),
    [
        (np.zeros((1, 3, 4)), r"shape \[L, H\].*activations\[0\]"),
        (np.zeros(3), r"shape \[L, H\]"),
        (np.zeros((4, 5)), "4 rows but there are 3 tokens"),
    ],
)
def test_activation_heatmap_rejects_wrong_shapes(activations, message):
    with pytest.raises(KitError, match=message):
        activation_heatmap(activations, ["a", "b", "c"])


# ---------------------------------------------------------------------------
# learning_curves
# ---------------------------------------------------------------------------


def record(epoch: int, train: tuple[float, float], val: tuple[float, float]) -> dict:
    """A metrics-log record from (loss, weighted_f1) pairs."""
    return {
        "epoch": epoch,
        "train": {"loss": train[0], "weighted_f1": train[1]},
        "val": {"loss": val[0], "weighted_f1": val[1]},
    }


RECORDS = [
    record(1, train=(0.9, 0.30), val=(0.8, 0.35)),
    record(2, train=(0.5, 0.55), val=(0.6, 0.52)),
    record(3, train=(0.3, 0.70), val=(0.65, 0.50)),
]


def best_epoch_lines(ax) -> list[float]:
    return [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"]


def test_learning_curves_one_subplot_per_metric_with_best_epoch(tmp_path):
    fig = learning_curves(RECORDS)
    assert len(fig.axes) == 2
    loss_ax, f1_ax = fig.axes
    assert loss_ax.get_title() == "loss" and f1_ax.get_title() == "weighted_f1"
    labels = [text.get_text() for text in f1_ax.get_legend().get_texts()]
    assert labels == ["train", "validation", "best val epoch (2)"]
    assert best_epoch_lines(loss_ax) == [2] and best_epoch_lines(f1_ax) == [2]
    train_line = f1_ax.get_lines()[0]
    assert list(train_line.get_xdata()) == [1, 2, 3]
    assert list(train_line.get_ydata()) == [0.30, 0.55, 0.70]
    save(fig, tmp_path, "learning_curves")


def test_learning_curves_reads_jsonl_and_selects_by_loss(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in RECORDS) + "\n\n")
    fig = learning_curves(path, metrics=("loss",), select_by="loss")
    assert len(fig.axes) == 1
    assert best_epoch_lines(fig.axes[0]) == [2]
    fig = learning_curves(str(path), metrics=("loss", "weighted_f1", "loss"))
    assert len(fig.axes) == 3


def test_learning_curves_without_validation_marks_no_epoch():
    records = [{"epoch": e, "train": {"loss": 1 / e}} for e in (1, 2, 3)]
    fig = learning_curves(records, metrics=("loss",))
    assert best_epoch_lines(fig.axes[0]) == []


def test_learning_curves_errors(tmp_path):
    with pytest.raises(KitError, match="'accuracy' is not in the metrics log"):
        learning_curves(RECORDS, metrics=("accuracy",))
    with pytest.raises(KitError, match="no records"):
        learning_curves([])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(RECORDS[0]) + "\n{oops\n")
    with pytest.raises(KitError, match=r"bad.jsonl:2: not valid JSON"):
        learning_curves(bad)
    with pytest.raises(KitError, match="no such metrics log"):
        learning_curves(tmp_path / "missing.jsonl")


# ---------------------------------------------------------------------------
# confusion matrix
# ---------------------------------------------------------------------------

CM_TRUE = [["B-PER", "I-PER", "O"], ["B-LOC", "O"]]
CM_PRED = [["B-PER", "O", "O"], ["B-ORG", "B-LOC"]]


def test_tag_confusion_matrix_counts_a_hand_made_example():
    labels = ["O", "B-PER", "I-PER", "B-LOC", "B-ORG"]
    matrix = tag_confusion_matrix(CM_TRUE, CM_PRED, labels=labels)
    expected = np.array(
        [
            [1, 0, 0, 1, 0],  # true O: once O, once B-LOC
            [0, 1, 0, 0, 0],  # true B-PER: B-PER
            [1, 0, 0, 0, 0],  # true I-PER: O
            [0, 0, 0, 0, 1],  # true B-LOC: B-ORG
            [0, 0, 0, 0, 0],
        ]
    )
    np.testing.assert_array_equal(matrix, expected)
    default = tag_confusion_matrix(CM_TRUE, CM_PRED)
    assert default.shape == (len(NER_TAGS), len(NER_TAGS))
    assert default.sum() == 5


def test_confusion_matrix_plot_annotates_rates_or_counts(tmp_path):
    fig = confusion_matrix_plot(CM_TRUE, CM_PRED)
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the matrix and its colour bar
    shown = ax.images[0].get_array()
    # Rows of the true tags present (O, B-PER, I-PER, B-LOC) sum to 1, the others to 0.
    np.testing.assert_allclose(shown.sum(axis=1), [1, 0, 0, 1, 1, 1, 0, 0, 0])
    texts = [text.get_text() for text in ax.texts]
    assert len(texts) == len(NER_TAGS) ** 2
    assert texts.count("0.50") == 2  # true O: half O, half B-LOC
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "O (2)"
    save(fig, tmp_path, "confusion_matrix")

    counts = confusion_matrix_plot(CM_TRUE, CM_PRED, normalize=False)
    count_texts = [text.get_text() for text in counts.axes[0].texts]
    assert count_texts.count("1") == 5 and count_texts.count("0") == len(NER_TAGS) ** 2 - 5


def test_confusion_matrix_errors():
    with pytest.raises(KitError, match="sentence 1 has 2 true tags but 1 predicted"):
        tag_confusion_matrix(CM_TRUE, [CM_PRED[0], ["O"]])
    with pytest.raises(KitError, match="'<|pad|>' is not among the labels"):
        tag_confusion_matrix([["O", "<|pad|>"]], [["O", "O"]])


# ---------------------------------------------------------------------------
# Plots for the written questions
# ---------------------------------------------------------------------------


def test_vocabulary_size_plot(tmp_path):
    by_min_freq = {1: 21000, 2: 9000, 3: 6000, 5: 3900, 10: 2000}
    by_remove_frac = {0.0: 9000, 0.1: 8100, 0.3: 6300, 0.5: 4500}
    fig = vocabulary_size_plot(by_min_freq, by_remove_frac, chosen_min_freq=2)
    assert len(fig.axes) == 2
    left, right = fig.axes
    assert list(left.get_lines()[0].get_xdata()) == [1, 2, 3, 5, 10]
    assert list(right.get_lines()[0].get_ydata()) == [9000, 8100, 6300, 4500]
    assert "9,000" in [text.get_text() for text in left.texts]
    save(fig, tmp_path, "vocabulary_size")
    assert len(vocabulary_size_plot(sizes_by_remove_frac=by_remove_frac).axes) == 1
    with pytest.raises(KitError, match="give sizes_by_min_freq"):
        vocabulary_size_plot()
    with pytest.raises(KitError, match="empty"):
        vocabulary_size_plot({})


def test_sentence_length_plot_marks_longest_and_percentiles(tmp_path):
    lengths = [5] * 80 + [20] * 19 + [100]
    fig = sentence_length_plot(lengths, percentiles=(50, 90), batch_size=10)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["50th percentile: 5", "90th percentile: 20", "longest: 100"]
    assert "91% of positions are padding" in ax.get_title()
    save(fig, tmp_path, "sentence_lengths")
    from_sentences = sentence_length_plot([["a", "b"], ["c"], []])
    assert "longest: 2" in [t.get_text() for t in from_sentences.axes[0].get_legend().get_texts()]


def test_padding_share():
    assert padding_share([2, 2, 2]) == 0.0
    assert padding_share([1, 3]) == pytest.approx(1 / 3)
    assert padding_share([1, 1, 4, 4], batch_size=2) == 0.0
    assert padding_share([1, 4, 1, 4], batch_size=2) == pytest.approx(3 / 8)


def test_sentence_length_plot_errors():
    with pytest.raises(KitError, match="no sentence lengths"):
        sentence_length_plot([])
    with pytest.raises(KitError, match="negative"):
        sentence_length_plot([3, -1])
    with pytest.raises(KitError, match="string"):
        sentence_length_plot(["a sentence"])


def test_learning_curves_of_one_epoch_have_whole_epoch_ticks():
    """A one-epoch run (quick mode) gets the tick "1", not 0.945, 0.960, ..."""
    record = {"epoch": 1, "train": {"loss": 0.5, "weighted_f1": 0.3},
              "val": {"loss": 0.6, "weighted_f1": 0.2}}
    for records in ([record], [{**record, "epoch": e} for e in range(1, 4)],
                    [{**record, "epoch": e} for e in range(1, 31)]):
        fig = learning_curves(records)
        fig.canvas.draw()
        for ax in fig.axes:
            low, high = ax.get_xlim()
            ticks = [tick for tick in ax.get_xticks() if low <= tick <= high]
            assert ticks and all(float(tick).is_integer() for tick in ticks), ticks
            labels = [label.get_text() for label in ax.get_xticklabels() if label.get_text()]
            assert all("." not in label for label in labels), labels
        plt.close(fig)
