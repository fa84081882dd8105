"""Section 8 of the assignment notebook (optional): a pretrained encoder with a BiGRU head,
labels on each word's first piece, scored on the same words as the FFNN and the RNN."""

from __future__ import annotations

from cells import answer, check_cell, code, markdown, read_only

CHECK_POINTS = 1


def question(cell_id: str, points: int, text: str) -> dict:
    unit = "point" if points == 1 else "points"
    return read_only(cell_id, f"{text.strip()} *({points} {unit})*")


def cells() -> list[dict]:
    return [
        read_only("encoder-title", """
            ## 8 A pretrained encoder with sub-word alignment (optional section)

            The step after recurrent taggers is a pretrained transformer encoder (BERT and its
            relatives) fine-tuned for tagging, here with a small bidirectional GRU on top. The
            encoder does not read words: its tokenizer splits each word into **word pieces**
            from a fixed vocabulary (`Washington` may become `Wash ##ington`) and adds a
            `[CLS]` piece in front and a `[SEP]` piece at the end. The tags, the loss and the
            grading metric live on **words**. So:

            - **labels**: each word's tag goes onto its *first* piece; every other piece, and
              `[CLS]`, `[SEP]` and padding, get -100, which the loss ignores (the default;
              `model.label_pieces: all` puts the tag on every piece instead);
            - **predictions**: each word's tag is read from its first piece, so the encoder is
              scored on exactly the words the FFNN and the RNN are scored on.

            The encoder needs the `encoder` extra: `pip install -e ".[encoder]"` (the next cell
            installs it in Colab). Without the network (and in quick mode) the section trains a
            tiny randomly initialised encoder over a WordPiece vocabulary built from the
            training split: it shows the mechanics, not what pretraining buys. With a GPU (in
            Colab: *Runtime > Change runtime type*), set `USE_PRETRAINED = True` below to
            fine-tune `bert-base-cased` from the Hugging Face hub.
            """),
        code("encoder-install", """
            import importlib.util
            import subprocess
            import sys

            if importlib.util.find_spec("transformers") is None:
                # transformers and tokenizers do not require torch: the installed torch stays.
                subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                                "transformers>=4.40,<6", "tokenizers>=0.19"], check=True)

            from ner_helpers.encoder import first_piece_labels
            from ner_helpers.predictor import load_predictor
            from ner_helpers.word_pieces import train_word_pieces

            ENCODER = NOTEBOOK["encoder"]
            USE_PRETRAINED = ENCODER["pretrained"] and not QUICK
            """),
        read_only("todo-8-1", """
            ### 8.1 Labels on the first piece

            **TODO-8-1.** Implement `first_piece_labels(word_ids, word_labels, ignore_id=-100)`
            in `ner_helpers/encoder.py`. `word_ids` gives, for each piece of an encoded
            sentence, the index of the word it belongs to, or `None` for `[CLS]`, `[SEP]` and
            padding; the pieces of one word are consecutive. Return one label per piece: the
            word's label at its first piece, `ignore_id` everywhere else. For example
            `first_piece_labels([None, 0, 1, 1, 1, 2, None], [3, 0, 5])` is
            `[-100, 3, 0, -100, -100, 5, -100]`. Words cut off by truncation have no pieces.
            Return a new list and leave the inputs unchanged. The provided `PieceCollator`
            puts your labels into the batch's `labels` LongTensor[B, L] (L pieces), at the
            positions of the pieces in `input_ids` LongTensor[B, L].
            """),
        check_cell("8-1", CHECK_POINTS),
        markdown("encoder-pieces-intro", """
            **Pieces of a sentence.** The piece vocabulary of the tiny encoder is built from
            the training split (`ner-kit pieces` does the same in a terminal). Below: each
            piece, the word it belongs to, and the label your function gives it.
            """),
        code("encoder-pieces", """
            PIECES_DIR = resolve_path(KIT["pieces"]["folder"])
            PIECES_DIR.mkdir(parents=True, exist_ok=True)
            train_word_pieces((row["text"] for row in train_rows),
                              ENCODER["pieces_vocab_size"]).save(str(PIECES_DIR / "tokenizer.json"))
            encoder_config = apply_overrides(
                load_config("encoder" if USE_PRETRAINED else "encoder_tiny"),
                [*ENCODER["overrides"], *(ENCODER["quick_overrides"] if QUICK else [])])
            encoder_config["name"] = "encoder"
            encoder_model = build_predictor(encoder_config, None, train_rows)
            pieces = encoder_model.pieces
            encoded = pieces.encode(EXAMPLE["text"])
            piece_tags = first_piece_labels(encoded.word_ids,
                                            [NER_TAGS.index(t) for t in EXAMPLE["NER"]])
            for piece, word, label in zip(encoded.input_ids, encoded.word_ids, piece_tags):
                token = pieces.backend.id_to_token(piece)
                shown = "" if word is None else EXAMPLE["text"][word]
                print(f"{token:>14}  {shown:>14}  {NER_TAGS[label] if label >= 0 else label}")
            """),
        markdown("encoder-train-intro", """
            ### 8.2 Fine-tuning

            The encoder's layers get their own learning rates (`training.encoder_lr` for the
            top layer, times `training.layer_lr_decay` per layer below), the GRU and the output
            layer `training.lr`; all rates rise linearly over `training.warmup_steps` steps,
            then fall to zero (`training.decay`). The run writes `artefacts/experiments/encoder/`:
            run the final submission cell again afterwards and the zip includes the encoder.
            """),
        code("encoder-train", """
            encoder_result = run_experiment(encoder_config, force=True, show_progress=SHOW_PROGRESS)
            encoder_predictor = load_predictor(encoder_result.folder / "model")
            print(f"best epoch {encoder_result.best_epoch}; validation scores (the grading metric):")
            print(format_scores(encoder_result.val_scores))
            fig = learning_curves(encoder_result.history)
            """),
        code("encoder-prediction", """
            predicted = encoder_predictor.tag(None, [EXAMPLE["text"]])[0]
            prediction_table(EXAMPLE["text"], predicted, EXAMPLE["NER"])
            """),
        code("encoder-confusion", """
            encoder_pred = encoder_predictor.tag(None, [row["text"] for row in EVAL_ROWS])
            fig = confusion_matrix_plot([row["NER"] for row in EVAL_ROWS], encoder_pred,
                                        title="Encoder, validation split")
            """),
        markdown("encoder-table-intro", """
            ### 8.3 Every model side by side

            Validation entity F1 (the grading metric), training time and trainable parameters
            of every model this notebook trained.
            """),
        code("encoder-table", """
            def run_summary(result):
                \"\"\"(validation F1, training seconds) of an experiment run.\"\"\"
                seconds = sum(entry.get("seconds", 0.0) for entry in result.history)
                return result.val_scores["weighted_f1"], seconds


            side_by_side = [("FFNN", ffnn_result, ffnn_predictor),
                            ("RNN", rnn_result, rnn_predictor),
                            ("encoder", encoder_result, encoder_predictor)]
            print(f"{'model':>10}{'val F1':>10}{'seconds':>10}{'parameters':>14}")
            for label, result, predictor in side_by_side:
                f1, seconds = run_summary(result)
                print(f"{label:>10}{f1:10.4f}{seconds:10.0f}{predictor.num_parameters():14,}")
            """),
        question("question-8_1", 2, """
            **Question 8.1.** Why do the labels go on the first piece only, with -100 on the
            others? What would change if every piece carried its word's tag
            (`label_pieces: all`): for the loss, and for reading the predictions back?
            """),
        answer("answer-8_1", 2, """
            The metric counts words, so every word should count once in the loss too. With
            the tag on every piece, a word of five pieces weighs five times as much as a word
            of one piece, and rare words (names, which are what NER is about) are the ones
            split into many pieces, so the loss tilts towards them in an uncontrolled way; the
            later pieces of a `B-` word also need a rule (they become `I-`). Reading back, the
            pieces of one word may then disagree and need a vote or a rule. With first-piece
            labels each word has one label and one prediction, at one position, and the
            other pieces still help through the encoder's attention (they are inputs, just not
            targets).
            """),
        question("question-8_2", 2, """
            **Question 8.2.** The encoder reads at most a fixed number of pieces. What does the
            kit do with a longer sentence in training and when tagging, and what could go wrong
            if pieces and labels were simply cut or shifted? What happens to a word that the
            piece tokenizer maps to nothing (a zero-width character)?
            """),
        answer("answer-8_2", 2, """
            In training batches the sentence is truncated: the words past the limit get no
            label and no piece, so nothing is shifted. When tagging, the sentence is read in
            overlapping windows; each word is owned by exactly one window, which also sees
            some context on both sides, and its tag is read from its first piece in that
            window, so every word gets a tag. If the labels were cut on their own, or a word
            without pieces were dropped from the piece sequence without being accounted for,
            every later word would get its neighbour's label: a silent shift that ruins the
            score without any error. A word with no pieces gets the unknown piece, so it still
            has a first piece and a prediction.
            """),
        question("question-8_3", 2, """
            **Question 8.3.** Compare the encoder with the FFNN and the RNN using the table
            above: F1, training time and size. Can the encoder tell "Bank" in "Bank of
            America" from "Bank" in "went to Bank to draw cash", and why?
            """),
        answer("answer-8_3", 2, """
            A pretrained encoder fine-tuned on a GPU scores far higher than both (the BERT
            paper reports a test F1 of 92.4 for BERT-base on CoNLL-2003) but has hundreds of
            times more parameters and needs a GPU to train in reasonable time; the tiny random encoder of quick mode is small and weak,
            which shows that the gain comes from pretraining, not from the architecture alone.
            Yes: self-attention lets every piece attend to the whole sentence in both
            directions (and the BiGRU adds a right-to-left pass), so the representation of
            "Bank" depends on "of America" or "to draw cash" after it, unlike a left-to-right
            RNN's.
            """),
    ]
