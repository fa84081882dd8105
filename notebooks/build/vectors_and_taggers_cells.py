"""Optional section 7: pretrained word vectors, and context without recurrence.

Graded TODOs: TODO-7-1 (``CNNTagger.forward`` in ner_helpers/cnn.py) and TODO-7-2
(``align_vectors`` in ner_helpers/vectors.py). The cells compare random, frozen and
fine-tuned vectors, and the four taggers (FFNN, window, CNN, RNN), with plots and
written questions graded by hand.
"""

from __future__ import annotations

import textwrap

from cells import answer, check_cell, code, markdown, read_only

CHECK_POINTS = 1


def question(cell_id: str, points: int, text: str) -> dict:
    """A locked question cell; its answer cell follows it."""
    unit = "point" if points == 1 else "points"
    return read_only(cell_id, f"{textwrap.dedent(text).strip()} *({points} {unit})*")


def cells() -> list[dict]:
    return [*introduction(), *vectors_part(), *taggers_part(), *questions()]


def introduction() -> list[dict]:
    return [
        markdown("s7-title", """
            ## 7 Word vectors, and context without recurrence (optional section)

            Two lessons that usually sit next to this homework:

            * **Pretrained word vectors.** The embedding table can start from vectors trained
              on billions of words (GloVe), kept fixed (*frozen*) or trained further
              (*fine-tuned*). How much they help depends on how many of your words the file
              has: its **coverage**.
            * **Context without recurrence.** The RNN gives each token its context by reading
              the sentence in order. Two cheaper ways: a **context window** (the FFNN over the
              embeddings of positions `t-k .. t+k`, `ner_helpers/window.py`, provided) and a
              **1-D convolution** over the sentence (`ner_helpers/cnn.py`, your TODO-7-1).

            A window or a convolution reads the neighbours of every token, so at the end of a
            short sentence in a padded batch it would read padding. Padding must never change
            a real token's output: a sentence must be tagged the same alone or in a batch.
            """),
        read_only("s7-todo-1", """
            ### TODO-7-1: `CNNTagger.forward` in `ner_helpers/cnn.py`

            `forward(embeddings, padding_mask=None)`: map `FloatTensor[B, L, D]` to logits
            `FloatTensor[B, L, O]`. `padding_mask` is `[B, L]`, nonzero (1 or True) exactly at
            padded positions, as the collator makes it; `None` means no padding. Set the
            padded positions to zero before **every** convolution, apply `self.convs[k]` then
            `self.f[k]` for each layer (`nn.Conv1d` reads `[B, channels, L]`), and finish with
            `self.V`. No softmax. The convolutions (odd `kernel_size`,
            `padding=kernel_size // 2`) keep the length, so each token gets one output.
            """),
        check_cell("7-1", CHECK_POINTS),
        read_only("s7-todo-2", """
            ### TODO-7-2: `align_vectors` in `ner_helpers/vectors.py`

            `align_vectors(token2id, vectors, table, skip_ids)`: for every word of the
            vocabulary whose id is not in `skip_ids`, copy its vector from the file into row
            `token2id[word]` of `table` (`FloatTensor[V, D]`, written in place); a word the file
            lacks gets the vector of `word.lower()` when the file has that; otherwise its row
            stays as it was. Return a `LongTensor[V]` of match codes: `EXACT` (1), `LOWERCASE`
            (2), `MISSING` (0), and `SKIPPED` (-1) for the ids in `skip_ids` (pad and unknown).
            """),
        check_cell("7-2", CHECK_POINTS),
    ]


def vectors_part() -> list[dict]:
    return [
        markdown("s7-vectors-intro", """
            ### 7.1 Pretrained vectors and their coverage

            The section uses GloVe 6B with 100 dimensions (`vectors_and_taggers.vectors_file`
            in `notebook.yaml`). In Colab, fetch it once (about 800 MB to download, 330 MB
            kept), in a cell of its own:

            ```
            !mkdir -p artefacts/vectors && cd artefacts/vectors && \\
              wget -q https://nlp.stanford.edu/data/glove.6B.zip && \\
              unzip -o glove.6B.zip glove.6B.100d.txt && rm glove.6B.zip
            ```

            With `USE_DRIVE = True` keep it on Drive so that the next session has it. Without
            the file, the cell below writes a small stand-in of random vectors so that every
            cell runs; the vector runs then show nothing about GloVe.

            The kit reads GloVe, word2vec and fastText text files, checks every row (a broken
            file stops with its file and line) and keeps only the vectors of your vocabulary,
            so memory stays small however large the file. GloVe 6B is lowercase: your
            tokenizer keeps capitals, so most capitalised words match only after lowercasing.
            """),
        code("s7-vectors-file", """
            from ner_helpers import vectors as word_vectors
            from ner_helpers.visual.tagger_comparison import tagger_comparison_plot

            SECTION7 = NOTEBOOK["vectors_and_taggers"]
            VECTORS_FILE = resolve_path(SECTION7["vectors_file"])
            STANDIN = not VECTORS_FILE.is_file() or QUICK
            if STANDIN:
                # Random vectors for about half the vocabulary (lowercased), so the cells run.
                VECTORS_FILE = resolve_path(SECTION7["standin_file"])
                VECTORS_FILE.parent.mkdir(parents=True, exist_ok=True)
                generator = torch.Generator().manual_seed(0)
                words = sorted({w.lower() for w in tokenizer.token2id if not w.startswith("<|")})
                with VECTORS_FILE.open("w", encoding="utf-8") as handle:
                    for word in words[::2]:
                        values = torch.randn(50, generator=generator).tolist()
                        handle.write(word + " " + " ".join(f"{v:.4f}" for v in values) + "\\n")
                print(f"no GloVe file: using a stand-in of random vectors, {VECTORS_FILE}")
            vector_file = word_vectors.read_vectors(
                VECTORS_FILE, word_vectors.wanted_words(tokenizer.token2id),
                KIT["data"]["progress_min_bytes"])
            print(f"{vector_file.rows:,} rows of dimension {vector_file.dim}; "
                  f"{len(vector_file.vectors):,} of them are words of the vocabulary")
            """),
        markdown("s7-coverage-intro", """
            **Coverage.** Your `align_vectors` fills a table; the report counts the vocabulary
            words matched exactly, matched after lowercasing, and missing, once per word
            (*by token*) and once per occurrence in the training text (*by occurrence*).
            """),
        code("s7-coverage", """
            table = torch.zeros(tokenizer.vocab_size, vector_file.dim)
            match = word_vectors.align_vectors(tokenizer.token2id, vector_file.vectors, table,
                                               [tokenizer.pad_id, tokenizer.unk_id])
            coverage = word_vectors.coverage(match, tokenizer.token2id,
                                             word_vectors.token_counts(train_rows, tokenizer),
                                             vector_file, top=20)
            print(coverage.format())
            fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
            kinds = ["exact", "lowercase", "missing"]
            for row, counts in enumerate((coverage.by_token, coverage.by_occurrence)):
                total = sum(counts.values()) or 1
                left = 0.0
                for kind, colour in zip(kinds, ("#55a868", "#4c72b0", "#c44e52")):
                    share = counts[kind] / total
                    ax.barh(row, share, left=left, color=colour, label=kind if row == 0 else None)
                    left += share
            ax.set_yticks([0, 1], ["by token", "by occurrence"])
            ax.set_xlim(0, 1)
            ax.set_xlabel("share of the vocabulary")
            ax.legend(loc="lower right");
            """),
        markdown("s7-neighbours-intro", """
            Nearest neighbours in the vector space (through gensim's `KeyedVectors`, the
            `vectors` extra), among the words of your vocabulary:
            """),
        code("s7-neighbours", """
            try:
                keyed = vector_file.as_keyed_vectors()
                for word in ("germany", "monday", "bank"):
                    if word in keyed:
                        print(word, "->", ", ".join(w for w, _ in keyed.most_similar(word, topn=6)))
            except KitError as error:
                print(error)
            """),
        markdown("s7-embeddings-intro", """
            ### 7.2 Random, frozen and fine-tuned vectors

            The CNN tagger three times, with the same settings and epochs: a random table, the
            vectors frozen, and the vectors fine-tuned. `model.pretrained_vectors` fills the
            table before training (its dimension sets `model.embedding_dim`),
            `model.freeze_embeddings` keeps it fixed, and `model.missing_vectors` says how the
            rows of missing words start (`random`, `zeros` or `mean`).
            """),
        code("s7-embeddings", """
            def vector_config(name, freeze):
                config = experiment_config("cnn", name, *SECTION7["overrides"])
                config["model"].update(pretrained_vectors=str(VECTORS_FILE), embedding_dim=None,
                                       freeze_embeddings=freeze)
                return config


            embedding_runs = {
                "random": train_model(experiment_config("cnn", "cnn-random", *SECTION7["overrides"])),
                "frozen vectors": train_model(vector_config("cnn-frozen", True)),
                "fine-tuned vectors": train_model(vector_config("cnn-fine-tuned", False)),
            }
            fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
            for label, trainer in embedding_runs.items():
                epochs = [entry["epoch"] for entry in trainer.history]
                ax.plot(epochs, [entry["val"]["weighted_f1"] for entry in trainer.history], "o-",
                        label=label)
            ax.set_xlabel("epoch")
            ax.set_ylabel("validation weighted F1")
            ax.legend();
            """),
    ]


def taggers_part() -> list[dict]:
    return [
        markdown("s7-taggers-intro", """
            ### 7.3 Four taggers side by side

            The FFNN of 4.2 sees one token; the window tagger sees `window` neighbours on each
            side (`window.yaml`); the CNN of `cnn.yaml` stacks two convolutions of width 3,
            so each token sees two neighbours on each side; the RNN of 5.2 sees everything to
            its left. The window and CNN taggers train here with random embeddings; the FFNN
            and RNN results are those of sections 4.2 and 5.2 (trained for their own number of
            epochs: compare the time per epoch, not the totals).
            """),
        code("s7-taggers", """
            def per_epoch(history):
                return sum(entry["seconds"] for entry in history) / max(1, len(history))


            tagger_runs = {name: train_model(experiment_config(name, f"{name}-s7",
                                                                *SECTION7["overrides"]))
                           for name in SECTION7["taggers"]}
            comparison = {
                "FFNN (4.2)": (per_epoch(ffnn_result.history), ffnn_result.val_scores["weighted_f1"]),
                **{f"{name} tagger": (per_epoch(trainer.history),
                                      best_val_scores(trainer.history)["weighted_f1"])
                   for name, trainer in tagger_runs.items()},
                "RNN (5.2)": (per_epoch(rnn_result.history), rnn_result.val_scores["weighted_f1"]),
                **{f"CNN, {label}": (per_epoch(trainer.history),
                                     best_val_scores(trainer.history)["weighted_f1"])
                   for label, trainer in embedding_runs.items() if label != "random"},
            }
            for label, (seconds, f1) in comparison.items():
                print(f"{label:>28}: {f1:.3f} validation weighted F1, {seconds:6.1f} s per epoch")
            fig = tagger_comparison_plot(comparison)
            """),
        markdown("s7-receptive-intro", """
            **What the CNN sees.** Changing one token's embedding changes the CNN's outputs
            only within its receptive field: `num_layers * (kernel_size - 1) / 2` positions on
            each side. The RNN's outputs change at that token and everywhere to its right.
            """),
        code("s7-receptive", """
            cnn_model = tagger_runs["cnn"].model.cpu().eval()
            ids = tokenizer.tokenize(EXAMPLE["text"])["input_ids"].unsqueeze(0)
            with torch.inference_mode():
                embeddings = cnn_model.embedding(ids)
                moved = embeddings.clone()
                middle = ids.shape[1] // 2
                moved[0, middle] += 1.0
                change = (cnn_model.model(moved) - cnn_model.model(embeddings)).abs().sum(-1)[0]
            fig, ax = plt.subplots(figsize=(10, 2.5), layout="constrained")
            ax.bar(range(len(change)), change.tolist())
            ax.set_xticks(range(len(change)), EXAMPLE["text"], rotation=60)
            ax.set_ylabel("change of the logits")
            ax.set_title(f"CNN: changing the embedding of {EXAMPLE['text'][middle]!r}");
            """),
    ]


def questions() -> list[dict]:
    return [
        markdown("s7-questions", "### 7.4 Questions"),
        question("s7-q1", 2, """
            **Question 7.1.** Compare the coverage by token and by occurrence. Why do the two
            differ so much, and which words are missing (look at the most frequent ones)?
            What would change with a tokenizer that lowercases?
            """),
        answer("s7-a1", 2, """
            By occurrence the coverage is much higher than by token: frequent words (function
            words, common nouns, frequent names) are in any large vector file, while the long
            tail of the vocabulary, seen once or twice, holds rare names, numbers with odd
            formats, hyphenated and misspelled words that the file lacks. The most frequent
            missing words are tokenization artefacts and rare names. GloVe 6B is lowercase,
            so capitalised words match only after lowercasing; a lowercasing tokenizer would
            match them exactly but lose the capitalisation cue, which is strong evidence of a
            name in English.
            """),
        question("s7-q2", 2, """
            **Question 7.2.** Random, frozen and fine-tuned vectors: which gives the best
            validation F1, which learns fastest in the first epoch, and why? When would you
            freeze the table?
            """),
        answer("s7-a2", 2, """
            Pretrained vectors start far ahead in the first epoch, because similar words
            (cities, weekdays, surnames) already have similar vectors, so what the model
            learns for one carries over to the others, including words rare in the training
            set. Fine-tuning usually ends best: it keeps that start and adapts the vectors to
            the tags. Freezing trains far fewer parameters and cannot overfit the table; it is
            the better choice with little training data, or when test words outside the
            training vocabulary but inside the file should keep vectors consistent with the
            trained ones.
            """),
        question("s7-q3", 2, """
            **Question 7.3.** Compare the four taggers on F1 and time per epoch. What does the
            window or the convolution give the FFNN, what can the CNN still not see that the
            RNN can, and what does each cost?
            """),
        answer("s7-a3", 2, """
            Both window and CNN give each token its neighbours, which is most of what the
            FFNN lacks: "Bank of" or "Mr." next to a word decides its tag, and the first
            token of a multi-word name is told from the next by its left neighbour. They
            cost little more than the FFNN per epoch, because all positions are computed at
            once, while the RNN steps through the sentence one token at a time. The CNN sees
            only a fixed window (two neighbours on each side here); the RNN carries
            information from any earlier token but none from later ones.
            """),
        question("s7-q4", 1, """
            **Question 7.4.** Why must the CNN zero the padded positions before every
            convolution, when the FFNN needs no padding mask at all?
            """),
        answer("s7-a4", 1, """
            The FFNN computes every position from its own embedding, so padding only affects
            the padded positions' own outputs, which the loss ignores. A convolution mixes
            neighbouring positions: without the mask, the last real tokens of a short
            sentence read the padding (and, after the first layer, values the layer wrote
            there), so a sentence would be tagged differently alone and in a batch.
            """),
    ]
