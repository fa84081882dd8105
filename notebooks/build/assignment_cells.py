"""The cells of notebooks/assignment.ipynb, in order (sections of SPEC section 3).

Graded cells: ten public-check test cells (one point each) and ten written
answers (manually graded). Model answers and the bonus reference code sit in
solution cells; the release replaces them.
"""

from __future__ import annotations

import textwrap

from cell_times import with_time_note
from cells import (
    answer,
    check_cell,
    code,
    colab_badge,
    colab_setup,
    markdown,
    read_only,
    solution_code,
)
from optional_cells import optional_sections
from statement_settings import statement_settings

CHECK_POINTS = 1

#: What a GPU changes, for the time notes of the training cells.
GPU_FFNN = ("On a GPU (see `setup.ipynb`) the matrix products run in parallel; this model is "
            "small, so expect a modest gain: reading and batching the data stays the same.")
GPU_RNN = ("On a GPU (see `setup.ipynb`) each time step's matrix products are cheap, but the "
           "steps still run one after another: of all the cells, the RNN's gain the most.")
GPU_LSTM = ("On a GPU (see `setup.ipynb`) `nn.LSTM` runs on cuDNN, many times faster than on "
            "a CPU.")

#: How the notebook gets into a submission zip (both submission sections end with it).
SAVE_THE_NOTEBOOK = textwrap.dedent("""
    **Before you submit, run the notebook from top to bottom.** Restart the kernel and run
    all cells (*Kernel > Restart Kernel and Run All Cells*; in Colab *Runtime > Restart
    session and run all*), so that what the graders read is what your code produces, and
    fill in the collaboration statement at the top. The submission cell checks both: it
    names the first cell that ran out of order, ended with an error or never ran, and says
    what to do.

    **Your written answers travel with the zip.** In Colab the submission cell takes this
    notebook from the Colab page, as it is at that moment, saved or not: nothing to
    download or upload. In JupyterLab the zip carries `notebooks/assignment.ipynb` as last
    saved on disk, so save it first (*File > Save*, or Ctrl+S). The cell's output names
    the notebook it packed. In Colab without `USE_DRIVE = True` the working copy, with the
    zip, is lost when the session ends: download the zip (right-click it in the file
    browser) before that.
    """).strip()


def todo_box(cell_id: str, text: str) -> dict:
    return read_only(cell_id, text)


def question(cell_id: str, points: int, text: str) -> dict:
    """A locked question cell; its answer cell follows it."""
    unit = "point" if points == 1 else "points"
    return read_only(cell_id, f"{textwrap.dedent(text).strip()} *({points} {unit})*")


def cells(repository_url: str, branch: str, badge: str) -> list[dict]:
    return [
        colab_badge(badge),
        *collaboration_statement(),
        *introduction(),
        *section_0(repository_url, branch),
        *section_1_1(),
        *section_1_2(),
        *section_2(),
        *section_3(),
        *milestone(),
        *section_4(),
        *section_4_3(),
        *section_5(),
        *section_5_3(),
        *final_submission(),
        *bonus(),
        *optional_sections(),
    ]


def collaboration_statement() -> list[dict]:
    """The statement that opens the notebook: the question (wording and points from
    ``collaboration_statement`` in release.yaml) and the answer, graded by hand."""
    from autograder.release.statement_cells import question_text

    wording, points = statement_settings()
    return [
        read_only("collaboration-question", question_text(wording, points)),
        answer("collaboration-statement", points, """
            None. (An example of a filled-in statement: I discussed why evaluation runs
            without gradients with a classmate, Grace Hopper, and read the PyTorch
            documentation of `nn.Embedding` and `clip_grad_norm_`.)
            """),
    ]


def introduction() -> list[dict]:
    return [
        read_only("title", """
            # Named-entity recognition with a feed-forward and a recurrent network

            Named-entity recognition (NER) finds the names in a text and says what they name:
            a person (`PER`), an organisation (`ORG`), a location (`LOC`) or something else
            (`MISC`). We treat it as **token classification**: every token gets one of nine
            IOB2 tags (`B-` begins an entity, `I-` continues it, `O` is outside any entity).

            | EU | rejects | German | call | to | boycott | British | lamb | . |
            |---|---|---|---|---|---|---|---|---|
            | B-ORG | O | B-MISC | O | O | O | B-MISC | O | O |

            You will build the whole pipeline in PyTorch: a tokenizer, batching with dynamic
            padding, token embeddings, a training and evaluation loop, a feed-forward network
            (FFNN) that tags each token on its own, and a hand-written recurrent network (RNN)
            that reads the sentence from left to right.
            """),
        read_only("how-it-works", """
            ## How this homework works

            * **Code** goes into the helper package `ner_helpers/`, never into this notebook.
              Each task is a numbered TODO (for example **TODO-1.1-1**) in one file; in the
              file, the TODO's hint comment sits right above a
              `raise NotImplementedError("TODO-...")` line that you replace with your code.
            * **Public checks.** After each TODO, run its check cell, e.g.
              `check("1.1-1")`. It prints `PASS ...` or says what is wrong. From a terminal:
              `ner-kit check` (all TODOs) or `ner-kit check 1.1-1`. The public checks are
              deliberately weaker than the hidden tests used for grading: passing them is
              necessary, not sufficient.
            * **Written answers** go into the cells marked *YOUR ANSWER HERE*; they are graded
              by hand.
            * **Submissions.** The milestone (after section 3) hands in TODOs 1.1 to 3; the
              final submission hands in everything, with your trained FFNN and RNN. Both are
              zip files built by `ner-kit submit`.

            ### Rules

            1. **Submitted models have at most two layers** (`num_layers` of 1 or 2, for the
               FFNN and for the RNN). The submission command refuses more.
            2. **Do not change code outside the TODO regions** of the package. The grader loads
               reference weights into your modules by parameter name and calls the functions
               with the signatures given; changes elsewhere can cost you points.
            3. **The grading metric is the one this notebook prints**: entity-level F1, where a
               predicted entity counts only if its type, start and end all match, averaged over
               the entity types weighted by their number of gold entities (the `weighted`
               line of the score tables). Your models are scored on the hidden test labels.
            """),
    ]


def section_0(repository_url: str, branch: str) -> list[dict]:
    return [
        markdown("setup-title", """
            ## 0. Setup

            The next cell works in Google Colab and locally. In Colab (open this notebook with
            the badge at the top) it installs the kit, clones your working copy and picks the
            GPU if the runtime has one (*Runtime > Change runtime type*). Set `USE_DRIVE = True`
            to keep your working copy, with your code and `artefacts/`, in Google Drive, so
            that it survives the end of the Colab session. Locally (JupyterLab in the project
            folder, after `pip install -e .`), it only reports what it finds.
            """),
        colab_setup(repository_url, branch),
        code("imports", """
            # Reload edited package files automatically before each cell runs.
            %load_ext autoreload
            %autoreload 2

            import itertools
            import os
            import time
            from collections import Counter, defaultdict

            import matplotlib.pyplot as plt
            import torch
            from torch import nn
            from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

            from ner_helpers.checks import MILESTONE_TODOS, check, check_all
            from ner_helpers.collator import DataCollator
            from ner_helpers.config import apply_overrides, kit_config, load_config, resolve_path
            from ner_helpers.constants import NER_TAGS, NUM_NER_TAGS, PAD_TOKEN, UNK_TOKEN
            from ner_helpers.data import load_split
            from ner_helpers.device import resolve_device
            from ner_helpers.embedding import TokenEmbedding
            from ner_helpers.errors import KitError
            from ner_helpers.experiment import build_predictor, build_trainer, run_experiment
            from ner_helpers.ffnn import FFNN
            from ner_helpers.metric import entity_scores, format_scores
            from ner_helpers.predictor import NERPredictor
            from ner_helpers.rnn import RNN
            from ner_helpers.seeding import set_seed
            from ner_helpers.submission import build_submission, load_identity, save_identity
            from ner_helpers.tokenizer import Tokenizer
            from ner_helpers.visual import (
                activation_heatmap,
                confusion_matrix_plot,
                learning_curves,
                prediction_table,
                sentence_length_plot,
                vocabulary_size_plot,
            )

            DEVICE = resolve_device("auto")
            print(f"torch {torch.__version__}, device: {DEVICE}")
            """),
        code("settings", """
            KIT = kit_config()                    # ner_helpers/configs/kit.yaml
            NOTEBOOK = load_config("notebook")    # ner_helpers/configs/notebook.yaml
            # nbgrader sets NBGRADER_EXECUTION while it autogrades or validates this notebook.
            GRADING = bool(os.environ.get("NBGRADER_EXECUTION"))
            # Quick mode trains tiny models on a few hundred sentences, so that the whole
            # notebook runs in minutes (for checking that it runs; the scores mean nothing).
            QUICK = GRADING or os.environ.get(NOTEBOOK["quick"]["env_var"], "0") == "1"
            QUICK_OVERRIDES = NOTEBOOK["quick"]["overrides"] if QUICK else []
            SHOW_PROGRESS = not QUICK
            print("quick mode:", "on " + str(QUICK_OVERRIDES) if QUICK else "off")
            """),
        code("helpers", """
            def take(rows, limit):
                \"\"\"The first `limit` rows (all of them when limit is None).\"\"\"
                return rows if limit is None else rows[:limit]


            def experiment_config(base, name, *overrides):
                \"\"\"A bundled experiment config ("ffnn" or "rnn") with overrides (key=value).\"\"\"
                config = apply_overrides(load_config(base), [*overrides, *QUICK_OVERRIDES])
                config["name"] = name
                return config


            def build_model(config):
                \"\"\"A fresh NERPredictor (embedding + FFNN or RNN) for `config`.\"\"\"
                return build_predictor(config, tokenizer, train_rows)


            def train_model(config, model=None):
                \"\"\"Train in memory (no files written); the trainer's model ends at its best epoch.\"\"\"
                model = build_model(config) if model is None else model
                training, limits = config["training"], config.get("data") or {}
                trainer = build_trainer(config, model, DataCollator(tokenizer),
                                        take(train_rows, limits.get("max_train")),
                                        take(val_rows, limits.get("max_val")),
                                        show_progress=SHOW_PROGRESS)
                started = time.perf_counter()
                trainer.train(training["epochs"])
                trainer.seconds = time.perf_counter() - started
                return trainer


            def submit(kind, notebook=None):
                \"\"\"Build the `kind` submission zip, as `ner-kit submit KIND` does in a terminal.

                The zip carries this notebook: in Colab as open in the browser now, elsewhere
                notebooks/assignment.ipynb as saved; `notebook` (a path) packs that file instead.
                \"\"\"
                if GRADING:
                    print("submissions are not built while the notebook is graded")
                    return
                try:
                    print(build_submission(kind, notebook_path=notebook).summary())
                except KitError as error:
                    print(f"not written: {error}")


            def best_val_scores(history):
                \"\"\"The validation scores of the epoch with the best weighted F1.\"\"\"
                return max((entry["val"] for entry in history), key=lambda s: s["weighted_f1"])


            def show_prediction(predictor, row):
                \"\"\"Colour-coded tokens, predicted tags and true tags of one sentence.\"\"\"
                predicted = predictor.tag(tokenizer, [row["text"]])[0]
                ids = tokenizer.tokenize(row["text"])["input_ids"]
                return prediction_table(row["text"], predicted, row.get("NER"),
                                        unk_flags=(ids == tokenizer.unk_id).tolist())


            def layer_heatmaps(predictor, row, title):
                \"\"\"One activation heatmap [L, H] per hidden layer, for one sentence.\"\"\"
                names = predictor.hidden_layer_names()
                input_ids = tokenizer.tokenize(row["text"])["input_ids"].unsqueeze(0)
                predictor.eval()
                with torch.no_grad(), predictor.record_activations(names) as record:
                    predictor(input_ids.to(next(predictor.parameters()).device))
                fig, axes = plt.subplots(1, len(names), squeeze=False, layout="constrained",
                                         figsize=(7 * len(names), 1.5 + 0.3 * len(row["text"])))
                limit = max(float(record[name].abs().max()) for name in names) or 1.0
                for k, (ax, name) in enumerate(zip(axes[0], names), start=1):
                    activation_heatmap(record[name][0], row["text"], ax=ax, limit=limit,
                                       title=f"{title}: layer {k}",
                                       max_units=NOTEBOOK["plots"]["max_heatmap_units"])
                return fig


            def validation_tags(predictor, rows):
                \"\"\"(true tags, predicted tags) of labelled rows.\"\"\"
                predicted = predictor.tag(tokenizer, [row["text"] for row in rows])
                return [row["NER"] for row in rows], predicted
            """),
        code("data", """
            DATASET_DIR = resolve_path(KIT["paths"]["dataset_dir"])
            TOKENIZER_PATH = resolve_path(KIT["paths"]["tokenizer"])
            if not (DATASET_DIR / "train.json").is_file():
                raise KitError(f"{DATASET_DIR} has no train.json: run notebooks/setup.ipynb "
                               "(or `ner-kit data` in a terminal) first")

            train_rows = load_split(DATASET_DIR / "train.json")
            val_rows = load_split(DATASET_DIR / "val.json")
            test_rows = load_split(DATASET_DIR / "test.json")
            EVAL_ROWS = take(val_rows, NOTEBOOK["quick"]["max_eval_sentences"] if QUICK else None)
            EXAMPLE = val_rows[NOTEBOOK["plots"]["example_sentence"] % len(val_rows)]
            for split, rows in (("train", train_rows), ("val", val_rows), ("test", test_rows)):
                print(f"{split:>5}: {len(rows):6,} sentences, "
                      f"{sum(len(r['text']) for r in rows):8,} tokens")
            print("example:", list(zip(train_rows[0]["text"], train_rows[0]["NER"])))
            """),
    ]


def section_1_1() -> list[dict]:
    return [
        markdown("tokenization-title", """
            ## 1.1 Tokenization

            The corpus is already split into words, so our tokenizer is a vocabulary: a map
            from each known word to an id. Id 0 is the padding token `<|pad|>` and id 1 the
            unknown token `<|unk|>`, used for every word outside the vocabulary.
            `Tokenizer.train` (provided) builds the vocabulary from the training split in two
            pruning steps:

            1. keep the words seen at least `min_freq` times;
            2. of those, drop the rarest `remove_frac` (a fraction between 0 and 1).

            Pruning makes the embedding table smaller and gives the model examples of the
            unknown token to learn from, at the price of turning rare words into `<|unk|>`.
            """),
        todo_box("todo-1_1-1", """
            ### TODO-1.1-1: `Tokenizer.tokenize` in `ner_helpers/tokenizer.py`

            `tokenize(input_seq, max_length=None, padding_side="right", truncation_side="right")`
            turns one sentence into ids:

            * `input_seq` is a string (split it on whitespace) or a list of tokens (use it as
              it is); lowercase the tokens when the tokenizer was created with
              `lowercase=True`;
            * every token maps to its id in `self.token2id`, unknown tokens to `self.unk_id`;
            * without `max_length` the result has one position per token; with `max_length`
              it has **exactly** `max_length` positions: longer inputs are cut on
              `truncation_side`, shorter ones padded with `self.pad_id` on `padding_side`
              (`"left"` or `"right"`).

            Return `{"input_ids": LongTensor[L], "padding_mask": LongTensor[L]}`, where
            `padding_mask` is 1 exactly at the pad positions and 0 elsewhere.
            """),
        check_cell("1.1-1", CHECK_POINTS),
        code("tokenizer-try", """
            demo_tokenizer = Tokenizer(PAD_TOKEN, UNK_TOKEN).train(train_rows, min_freq=2,
                                                                  remove_frac=0.0)
            print(f"vocabulary size with min_freq=2: {demo_tokenizer.vocab_size:,}")
            demo_tokenizer.tokenize("EU rejects German call to boycott Zxqvian lamb",
                                    max_length=12)
            """),
        markdown("vocabulary-plot-intro", """
            How much does each pruning setting shrink the vocabulary? The next cell trains
            one tokenizer per setting and plots the vocabulary sizes (the values tried are in
            `notebook.yaml`).
            """),
        code("vocabulary-plot", """
            plot_rows = take(train_rows, NOTEBOOK["quick"]["max_plot_sentences"] if QUICK else None)
            settings = NOTEBOOK["vocabulary_plot"]
            sizes_by_min_freq = {
                min_freq: Tokenizer().train(plot_rows, min_freq=min_freq, remove_frac=0.0).vocab_size
                for min_freq in settings["min_freq"]
            }
            sizes_by_remove_frac = {
                frac: Tokenizer().train(plot_rows, min_freq=settings["fixed_min_freq"],
                                        remove_frac=frac).vocab_size
                for frac in settings["remove_frac"]
            }
            fig = vocabulary_size_plot(sizes_by_min_freq, sizes_by_remove_frac,
                                       chosen_min_freq=KIT["tokenizer"]["min_freq"],
                                       chosen_remove_frac=KIT["tokenizer"]["remove_frac"])
            """),
        question("question-1_1", 2, """
            **Question 1.1.** How does the vocabulary size change as `min_freq` grows, and as
            `remove_frac` grows? Which values would you choose for this corpus, and what do
            you give up when you prune harder? Think of the share of unknown tokens in new
            text, the size of the embedding table, and the kind of words that are rare.
            """),
        answer("answer-1_1", 2, """
            Raising `min_freq` from 1 to 2 roughly halves the vocabulary: about half of the
            word types of a newswire corpus occur only once. Beyond that the curve flattens
            (word frequencies follow Zipf's law), so each further step removes fewer types.
            `remove_frac` shrinks the remaining vocabulary in proportion by construction, but
            because it removes the rarest types, the share of unknown *tokens* in running text
            grows much more slowly than the vocabulary shrinks.

            I would use `min_freq=2` and a small `remove_frac` (0 to 0.2): dropping singletons
            removes words the model could not learn a useful embedding for, and gives it
            `<|unk|>` examples in training, so it learns what to do with unseen words. Pruning
            harder saves embedding parameters (vocabulary size times the embedding dimension)
            but turns more rare words into `<|unk|>`, and rare words are often exactly the
            names we want to find, so recall on entities drops. The share of unknown tokens
            on the validation split is the number to watch.
            """),
        markdown("tokenizer-choose", """
            Choose the pruning settings (the defaults come from `kit.yaml`), train the
            tokenizer on the training split and save it: training runs and the final
            submission use `artefacts/tokenizer.json`.
            """),
        code("tokenizer-train", """
            MIN_FREQ = KIT["tokenizer"]["min_freq"]
            REMOVE_FRAC = KIT["tokenizer"]["remove_frac"]
            LOWERCASE = KIT["tokenizer"]["lowercase"]

            tokenizer = Tokenizer(PAD_TOKEN, UNK_TOKEN, lowercase=LOWERCASE)
            tokenizer.train(train_rows, min_freq=MIN_FREQ, remove_frac=REMOVE_FRAC)
            tokenizer.save(TOKENIZER_PATH)
            val_ids = torch.cat([tokenizer.tokenize(row["text"])["input_ids"] for row in val_rows])
            unknown_share = float((val_ids == tokenizer.unk_id).float().mean())
            print(f"vocabulary: {tokenizer.vocab_size:,} ids; unknown validation tokens: "
                  f"{unknown_share:.1%}; saved to {TOKENIZER_PATH}")
            """),
    ]


def section_1_2() -> list[dict]:
    return [
        markdown("batching-title", """
            ## 1.2 Batching with dynamic padding

            A batch is a tensor `[B, L]`, so the sentences of a batch must have the same length
            `L`: shorter ones are padded. *Static* padding pads every sentence to the longest
            sentence of the corpus; *dynamic* padding pads each batch only to its own longest
            sentence. The labels are padded too, with the pad tag id -100, which the loss
            ignores.
            """),
        todo_box("todo-1_2-1", """
            ### TODO-1.2-1: `DataCollator.__call__` in `ner_helpers/collator.py`

            `collator(data_instances)` turns a list of B dataset rows (`{"text": [...], "NER": [...]}`)
            into one batch:

            * the batch length `L` is the longest sentence of the batch, capped at
              `self.max_length` when that is set; with `padding="max_length"` it is
              `self.max_length` itself;
            * every sentence is tokenized to length `L` (with `self.tokenizer.tokenize`, on the
              collator's padding and truncation sides) and the results are stacked;
            * when the rows carry labels (`self.label_colname` in the row), `labels` holds the
              tag ids from `NER_ENCODING_MAP`, with `self.pad_tag_id` (-100) at every pad
              position, padded and truncated on the same sides as the tokens. Test rows have
              no labels, and then the batch has no `labels`.

            Return `input_ids`, `padding_mask` (and `labels`), all `LongTensor[B, L]`.
            """),
        check_cell("1.2-1", CHECK_POINTS),
        code("collator-try", """
            collator = DataCollator(tokenizer)
            batch = collator(train_rows[:3])
            for name, tensor in batch.items():
                print(f"{name:>12} {list(tensor.shape)}\\n{tensor}")
            """),
        code("length-plot", """
            plot_rows = take(train_rows, NOTEBOOK["quick"]["max_plot_sentences"] if QUICK else None)
            fig = sentence_length_plot([row["text"] for row in plot_rows],
                                       batch_size=NOTEBOOK["padding_plot"]["batch_size"])
            """),
        question("question-1_2", 2, """
            **Question 1.2.** Why does dynamic padding beat static padding on this corpus? Use the
            numbers of the plot (the share of positions that would be padding) and say what
            the wasted positions cost.
            """),
        answer("answer-1_2", 2, """
            Sentence lengths are very skewed: the median CoNLL-2003 training sentence has ten
            tokens, the longest 113. Padding every sentence to the longest one makes 87% of all
            positions padding; padding each batch of 32 to its own longest sentence cuts that
            to about 59% (see the title of the plot), and the batches are also much shorter,
            so each costs less. Every pad position still costs memory and computation: the
            embedding lookup, the matrix products of every layer and, for the RNN, one more
            sequential time step, even though the loss ignores it. Dynamic padding makes each
            epoch several times cheaper without changing any result. Grouping sentences of
            similar length into the same batch would cut the waste much further.
            """),
    ]


def section_2() -> list[dict]:
    return [
        markdown("embeddings-title", """
            ## 2. Embeddings

            The first layer of both models maps every token id to a learned vector of
            `embedding_dim` numbers. The row of the pad id stays zero and gets no gradient,
            so padding carries nothing into the model.
            """),
        todo_box("todo-2", """
            ### TODO-2-1 and TODO-2-2: `TokenEmbedding` in `ner_helpers/embedding.py`

            * **TODO-2-1**, `__init__(vocab_size, embedding_dim, padding_idx)`: create the
              lookup table as `self.embedding`, a `torch.nn.Embedding` with `vocab_size` rows of
              size `embedding_dim`, told which index is padding.
            * **TODO-2-2**, `forward(input_ids)`: map `input_ids` `LongTensor[B, L]` to
              embeddings `FloatTensor[B, L, D]`.

            The parameter must be called `embedding.weight`: the grader loads weights by name.
            """),
        check_cell("2-1", CHECK_POINTS),
        check_cell("2-2", CHECK_POINTS),
        code("embedding-try", """
            embedding = TokenEmbedding(tokenizer.vocab_size, 8, padding_idx=tokenizer.pad_id)
            embedding.init_weights()
            vectors = embedding(batch["input_ids"])
            print("input_ids", list(batch["input_ids"].shape), "-> embeddings", list(vectors.shape))
            print("a pad position's vector:", vectors[batch["padding_mask"] == 1][:1])
            """),
    ]


def section_3() -> list[dict]:
    return [
        markdown("training-title", """
            ## 3. Training and evaluation loop

            `Trainer` (in `ner_helpers/trainer.py`) runs epochs, saves a checkpoint and a line
            of metrics per epoch, resumes from a checkpoint and keeps the epoch with the best
            validation F1. You write the two loops at its heart. Its loss is
            `nn.CrossEntropyLoss(ignore_index=-100)`: it takes logits `[N, O]` and tag ids
            `[N]`, and ignores the pad positions.
            """),
        todo_box("todo-3", """
            ### TODO-3-1 and TODO-3-2: `Trainer._train_epoch` and `Trainer._eval_epoch` in `ner_helpers/trainer.py`

            * **TODO-3-1**, `_train_epoch()`: put the model in training mode; for every batch of
              `self.train_loader`: move `input_ids` `[B, L]` and `labels` `[B, L]` to
              `self.device`, zero the gradients, compute the logits `[B, L, O]` and the loss
              with `self.loss_fn` on logits reshaped to `[B*L, O]` and labels to `[B*L]`,
              backpropagate, clip the gradient norm to `self.grad_clip_max_norm` when it is not
              None, take an optimizer step, and `record.add_batch(loss, logits, labels)`
              (detached).
            * **TODO-3-2**, `_eval_epoch()`: put the model in evaluation mode, compute logits
              and loss for every batch of `self.val_loader` and record them. Gradients are
              off: the provided `@torch.no_grad()` on the method covers its whole body.

            Both return `record.summary()`: the epoch's loss and scores over the whole split.
            """),
        check_cell("3-1", CHECK_POINTS),
        check_cell("3-2", CHECK_POINTS),
        question("question-3_1", 2, """
            **Question 3.1.** PyTorch has `nn.CrossEntropyLoss` and `nn.NLLLoss`. What input does
            each expect, how are the two related, and what does our use of
            `nn.CrossEntropyLoss` mean for the last layer of the FFNN and the RNN?
            """),
        answer("answer-3_1", 2, """
            `nn.NLLLoss` expects log-probabilities (the output of `log_softmax`) and returns
            minus the log-probability of the true class, averaged over the tokens.
            `nn.CrossEntropyLoss` expects raw, unnormalised scores (logits) and applies
            `log_softmax` itself: `CrossEntropyLoss(z, y) = NLLLoss(log_softmax(z), y)`.

            Because the trainer uses cross-entropy, the last layer `V` of our models must return
            logits, with no softmax after it. A softmax there would be applied twice: the loss
            would normalise values that are already probabilities, which squashes the
            differences between classes, weakens the gradients and gives a wrong loss. For
            prediction no softmax is needed either, since the argmax of the logits is the
            argmax of the probabilities. (A model ending in `log_softmax` would need
            `NLLLoss` instead; the two pairs are equivalent.)
            """),
        question("question-3_2", 1, """
            **Question 3.2.** Why does the evaluation epoch run in evaluation mode and without
            gradients? What would go wrong, or be wasted, otherwise?
            """),
        answer("answer-3_2", 1, """
            Evaluation measures the model; it must not change it, so there is no backward pass
            and no optimizer step. With gradient tracking on, autograd would still build the
            computation graph and keep every intermediate activation for a backward pass that
            never comes: wasted memory and time, which for the RNN grows with sentence length
            times layers. `torch.no_grad()` (here the provided decorator on `_eval_epoch`)
            avoids that. `model.eval()` switches layers whose
            behaviour differs in training (dropout, batch normalisation) to their inference
            behaviour, so that validation scores are deterministic and match how the model
            will be used.
            """),
        markdown("training-run-intro", with_time_note("""
            A short run of your loop: a one-layer FFNN trained on part of the training split
            (settings: `ffnn.yaml` with the `loop_demo` overrides of `notebook.yaml`). The
            loss should fall and the validation F1 rise. Every training run of this notebook
            batches as its config says: `ffnn.yaml` puts sentences of similar length in a
            batch (`training.group_by_length: true`), so that little of each batch is padding
            (section 1.2) and an epoch runs faster on a CPU; `rnn.yaml` keeps random
            batches, with which the RNN scored higher. The `batching` overrides of
            `notebook.yaml` change that for every run.
            """, "training-run", GPU_FFNN)),
        code("training-run", """
            demo_config = experiment_config("ffnn", "loop-demo", *NOTEBOOK["loop_demo"]["overrides"],
                                            *NOTEBOOK["batching"]["overrides"])
            demo_trainer = train_model(demo_config)
            print(f"best epoch: {demo_trainer.best_epoch}; validation scores:")
            print(format_scores(best_val_scores(demo_trainer.history)))
            """),
        code("training-curves", """
            fig = learning_curves(demo_trainer.history)
            """),
    ]


def milestone() -> list[dict]:
    return [
        read_only("milestone-title", textwrap.dedent("""
            ## Milestone submission

            The milestone hands in TODOs 1.1 to 3: the files `tokenizer.py`, `collator.py`,
            `embedding.py` and `trainer.py` of `ner_helpers/`. First make sure their public
            checks pass, then build the zip and upload it where your course says. The command
            checks the pieces before it writes anything and never overwrites an earlier
            submission.
            """).strip() + "\n\n" + SAVE_THE_NOTEBOOK),
        code("milestone-checks", """
            check_all(MILESTONE_TODOS)
            """),
        markdown("identity-intro", """
            Every submission carries your student ID and name. Fill them in once; they are
            stored in `artefacts/identity.json` and reused (leave them empty afterwards).
            """),
        code("identity", """
            STUDENT_ID = ""    # your student ID
            STUDENT_NAME = ""  # your full name

            if STUDENT_ID or STUDENT_NAME:
                print("saved to", save_identity(STUDENT_ID, STUDENT_NAME))
            identity = load_identity()
            print(f"identity: {identity.name} ({identity.student_id})" if identity
                  else "identity: not set yet; fill in the two lines above")
            """),
        code("milestone-submit", """
            submit("milestone")  # the same as `ner-kit submit milestone` in a terminal
            """),
    ]


def section_4() -> list[dict]:
    return [
        markdown("ffnn-title", """
            ## 4.1 and 4.2 Feed-forward network, one then many layers

            The FFNN tags every token from its own embedding, without looking at its
            neighbours. With embeddings `x` of shape `[B, L, D]`:

            $$h_1 = \\mathrm{ReLU}(W x), \\qquad h_{k+1} = \\mathrm{ReLU}(U_k h_k), \\qquad
            \\text{logits} = V h_{K}$$

            where `W` maps `D -> H`, each `U_k` maps `H -> H`, and `V` maps `H -> O` (the nine
            tags). Each layer is an `nn.Linear` with a bias; the ReLUs are the provided modules
            `self.f[k]`, one per hidden layer, so that their outputs can be recorded for the
            heatmaps below.
            """),
        todo_box("todo-4", """
            ### TODO-4-1 and TODO-4-2: `FFNN` in `ner_helpers/ffnn.py`

            * **TODO-4-1**, `__init__(embedding_dim, hidden_dim, output_dim, num_layers=1)`:
              create `self.W` (`embedding_dim -> hidden_dim`), `self.U`, an `nn.ModuleList` of
              `num_layers - 1` layers `hidden_dim -> hidden_dim`, and `self.V`
              (`hidden_dim -> output_dim`), all `nn.Linear` with biases. With sizes 10, 5, 2
              and 5 layers the model has **187** parameters.
            * **TODO-4-2**, `forward(embeddings)`: map `FloatTensor[B, L, D]` to logits
              `FloatTensor[B, L, O]`: `W`, then each layer of `U`, each followed by its ReLU
              `self.f[k]`, then `V`. No softmax.
            """),
        check_cell("4-1", CHECK_POINTS),
        check_cell("4-2", CHECK_POINTS),
        code("ffnn-parameters", """
            print(FFNN(10, 5, 2, num_layers=5).parameter_table())
            """),
        markdown("ffnn-one-layer-intro", with_time_note("""
            ### 4.1 One hidden layer

            The FFNN of `ffnn.yaml` with a single hidden layer, trained in memory, with the
            same epochs and data as the two-layer FFNN below, so that the two compare fairly
            (the `one_layer` overrides in `notebook.yaml`).
            """, "ffnn-one-layer", GPU_FFNN)),
        code("ffnn-one-layer", """
            ffnn1_config = experiment_config("ffnn", "ffnn-1layer", *NOTEBOOK["one_layer"]["ffnn"],
                                             *NOTEBOOK["batching"]["overrides"])
            ffnn1_trainer = train_model(ffnn1_config)
            print(format_scores(best_val_scores(ffnn1_trainer.history)))
            """),
        markdown("ffnn-two-layers-intro", with_time_note("""
            ### 4.2 Two hidden layers (the FFNN you submit)

            This run writes `artefacts/experiments/ffnn/`: its config, a checkpoint and a
            metrics line per epoch, the best model and its test predictions, which the final
            submission packs. Running the cell again trains again; the earlier run is kept as
            `ffnn.old-1` (delete old runs you no longer need). To submit other settings,
            change the overrides here (at most two layers).
            """, "ffnn-train", GPU_FFNN)),
        code("ffnn-train", """
            ffnn_config = experiment_config("ffnn", "ffnn", "model.num_layers=2",
                                            *NOTEBOOK["batching"]["overrides"])
            ffnn_result = run_experiment(ffnn_config, force=True, show_progress=SHOW_PROGRESS)
            ffnn_predictor = NERPredictor.load(ffnn_result.folder / "model")
            print(f"best epoch {ffnn_result.best_epoch}; validation scores (the grading metric):")
            print(format_scores(ffnn_result.val_scores))
            fig = learning_curves(ffnn_result.history)
            """),
        markdown("sweep-intro", with_time_note("""
            **Tuning two hyperparameters.** The grid below (from `notebook.yaml`) trains the
            FFNN once per combination of learning rate and hidden size, on part of the data.
            Change the grid if you want to explore something else; question 4.3.2 asks what
            you see. Each run takes about as long as its share of the data and its epochs:
            a larger grid or more data costs time in proportion.
            """, "ffnn-sweep", GPU_FFNN)),
        code("ffnn-sweep", """
            sweep = NOTEBOOK["sweep"]
            keys = list(sweep["grid"])
            sweep_results = []
            for values in itertools.product(*(sweep["grid"][key] for key in keys)):
                point = [f"{key}={value}" for key, value in zip(keys, values)]
                config = experiment_config("ffnn", "ffnn-sweep", *sweep["overrides"], *point,
                                            *NOTEBOOK["batching"]["overrides"])
                trainer = train_model(config)
                scores = best_val_scores(trainer.history)
                sweep_results.append((values, scores["weighted_f1"], trainer.best_epoch,
                                      trainer.seconds))
            print("  ".join(f"{key:>18}" for key in keys), " val weighted F1  best epoch  seconds")
            for values, f1, epoch, seconds in sweep_results:
                print("  ".join(f"{value!s:>18}" for value in values),
                      f"{f1:16.4f}  {epoch:10d}  {seconds:7.1f}")
            """),
        code("ffnn-prediction", """
            show_prediction(ffnn_predictor, EXAMPLE)
            """),
        code("ffnn-heatmaps", """
            fig = layer_heatmaps(ffnn_predictor, EXAMPLE, "FFNN")
            """),
        code("ffnn-confusion", """
            ffnn_true, ffnn_pred = validation_tags(ffnn_predictor, EVAL_ROWS)
            fig = confusion_matrix_plot(ffnn_true, ffnn_pred, title="FFNN, validation split")
            """),
        markdown("baseline-intro", """
            **A simpler baseline.** Tag every word with the tag it had most often in the
            training split (unseen words get `O`): no learning beyond counting, no context.
            """),
        code("baseline", """
            tag_counts = defaultdict(Counter)
            for row in train_rows:
                for token, tag in zip(row["text"], row["NER"]):
                    tag_counts[token][tag] += 1
            most_frequent_tag = {token: counts.most_common(1)[0][0]
                                 for token, counts in tag_counts.items()}

            started = time.perf_counter()
            baseline_pred = [[most_frequent_tag.get(token, "O") for token in row["text"]]
                             for row in val_rows]
            baseline_seconds = time.perf_counter() - started
            baseline_scores = entity_scores([row["NER"] for row in val_rows], baseline_pred)
            print(format_scores(baseline_scores))

            started = time.perf_counter()
            validation_tags(ffnn_predictor, val_rows)
            ffnn_seconds = time.perf_counter() - started
            print(f"\\n{'':>10}{'val weighted F1':>16}{'parameters':>12}{'tagging val (s)':>17}")
            print(f"{'baseline':>10}{baseline_scores['weighted_f1']:16.4f}"
                  f"{len(most_frequent_tag):12,}{baseline_seconds:17.2f}")
            print(f"{'FFNN':>10}{ffnn_result.val_scores['weighted_f1']:16.4f}"
                  f"{ffnn_predictor.num_parameters():12,}{ffnn_seconds:17.2f}")
            """),
    ]


def section_4_3() -> list[dict]:
    return [
        markdown("ffnn-analysis-title", "## 4.3 FFNN analysis"),
        question("question-4_3_1", 2, """
            **Question 4.3.1.** Compare the FFNN with the most-frequent-tag baseline on two
            dimensions of performance: the quality of the predictions (overall and per entity
            type, and the kinds of errors) and the cost (parameters, training and tagging
            time). Is the FFNN worth it?
            """),
        answer("answer-4_3_1", 2, """
            Quality: the FFNN beats the baseline on weighted F1, mostly because it generalises
            to words never tagged in training: similar embeddings (capitalised words, known
            name parts) get similar tags, while the baseline tags every unseen word `O` and so
            misses many entities; the baseline also cannot resolve words that are ambiguous
            between types. Both make the same kind of context error: neither sees the
            neighbours, so multi-word entities are often broken (an `I-` tag without its `B-`,
            or a type change inside a name), and the gain is smallest on `I-` tags and on
            `MISC`.

            Cost: the baseline is a dictionary built in one pass and tags almost instantly;
            the FFNN has millions of parameters (mostly the embedding table), needs several
            epochs of training and is slower to tag, though still fast since every token is
            processed in parallel. For a few points of F1 the cost is moderate; the bigger gains
            need context, which the RNN adds.
            """),
        question("question-4_3_2", 2, """
            **Question 4.3.2.** The grid of section 4.2 tunes two hyperparameters, the learning
            rate and the hidden size. Which patterns do you see as they change (scores, best
            epoch, time)? Which setting would you submit, and why?
            """),
        answer("answer-4_3_2", 2, """
            The learning rate matters more than the hidden size. With a small rate (3e-4) the
            model is still improving at the last epoch (its best epoch is the last one), so it
            is under-trained for the budget; with a large rate (3e-3) it reaches its best score
            in the first epoch and validation F1 then stalls or falls while the training loss
            keeps dropping, a sign of over-fitting of the large embedding table. 1e-3 is the
            best compromise. A bigger hidden layer helps a little and costs time roughly in
            proportion; beyond a few hundred units the gain vanishes because each token is
            tagged from its own embedding only, so the information available, not the capacity,
            is the limit. I would submit lr 1e-3 with 512 hidden units, trained with early
            stopping on validation F1 (the trainer keeps the best epoch).
            """),
        question("question-4_3_3", 2, """
            **Question 4.3.3.** Look at the heatmaps of the two hidden layers for one sentence. How
            do the activations of entity tokens and of non-entity tokens differ, and how does
            that change from the first layer to the second?
            """),
        answer("answer-4_3_3", 2, """
            In the first layer most units respond to every token, with a pattern that depends
            on the word itself: it re-encodes the embedding, and entity and non-entity tokens
            look equally busy. After the second layer the activations are sparser (many units
            are zero after the ReLU, some are dead for every token), the `O` tokens
            (function words, punctuation) share one weak, similar pattern, and entity tokens
            switch on a few strong units that are shared by tokens of the same type, e.g. the
            two parts of a person's name light up the same units. Depth makes the
            representation more specific to the task: the classes become easier for the linear
            layer `V` to separate.
            """),
    ]


def section_5() -> list[dict]:
    return [
        markdown("rnn-title", """
            ## 5.1 and 5.2 Recurrent network, one then many layers

            The RNN reads the sentence from left to right and carries a hidden state from token
            to token. For layer `k = 1..K` and time step `t`, with `z[0, t]` the embedding of
            token `t` and `z[k, 0]` the initial state (zeros):

            $$z_{k,t} = f(W_k\\, z_{k-1,t} + U_k\\, z_{k,t-1}), \\qquad \\text{logits}_t = V z_{K,t}$$

            Each layer has its own `W_k` and `U_k` (no sharing across layers); `f` is tanh,
            ReLU or PReLU (`self.f[k]`, provided).
            """),
        todo_box("todo-5", """
            ### TODO-5-1 and TODO-5-2: `RNN` in `ner_helpers/rnn.py`

            * **TODO-5-1**, `__init__(embedding_dim, hidden_dim, output_dim, num_layers=1,
              bias=True, nonlinearity="tanh")`: create `self.W`, an `nn.ModuleList` of
              `num_layers` `nn.Linear` layers (`W[0]`: `embedding_dim -> hidden_dim`, the
              others `hidden_dim -> hidden_dim`), `self.U`, an `nn.ModuleList` of `num_layers`
              layers `hidden_dim -> hidden_dim`, both with `bias=bias`, and `self.V`
              (`hidden_dim -> output_dim`). With sizes 10, 5, 2 and 5 layers the model has
              **337** parameters.
            * **TODO-5-2**, `forward(embeddings, h0=None)`: map `FloatTensor[B, L, D]` to
              logits `FloatTensor[B, L, O]` with the recurrence above, looping over the time
              steps; `h0` (`[num_layers, B, H]`, zeros by default) gives each layer's state
              before the first token; apply `self.f[k]` as the nonlinearity of layer `k` and
              `V` at every step.
            """),
        check_cell("5-1", CHECK_POINTS),
        check_cell("5-2", CHECK_POINTS),
        code("rnn-parameters", """
            print(RNN(10, 5, 2, num_layers=5).parameter_table())
            """),
        markdown("rnn-one-layer-intro", with_time_note("""
            ### 5.1 One layer

            The RNN of `rnn.yaml` with a single layer, trained in memory, with the same
            epochs and data as the two-layer RNN below (the `one_layer` overrides in
            `notebook.yaml`). On a CPU the RNN is much slower than the FFNN: its time steps
            run one after the other.
            """, "rnn-one-layer", GPU_RNN)),
        code("rnn-one-layer", """
            rnn1_config = experiment_config("rnn", "rnn-1layer", *NOTEBOOK["one_layer"]["rnn"],
                                            *NOTEBOOK["batching"]["overrides"])
            rnn1_trainer = train_model(rnn1_config)
            print(format_scores(best_val_scores(rnn1_trainer.history)))
            """),
        markdown("rnn-two-layers-intro", with_time_note("""
            ### 5.2 Two layers (the RNN you submit)

            Writes `artefacts/experiments/rnn/` for the final submission (an earlier run is
            kept as `rnn.old-N`). `rnn.yaml` sets `training.average_last_epochs: 2`: from the
            second epoch on, each epoch is scored (and kept, if best) with the mean of the
            weights at the end of that epoch and the one before. Averaging two nearby points of
            training usually lands nearer the centre of a good region than either point.
            """, "rnn-train", GPU_RNN)),
        code("rnn-train", """
            rnn_config = experiment_config("rnn", "rnn", "model.num_layers=2",
                                           *NOTEBOOK["batching"]["overrides"])
            rnn_result = run_experiment(rnn_config, force=True, show_progress=SHOW_PROGRESS)
            rnn_predictor = NERPredictor.load(rnn_result.folder / "model")
            print(f"best epoch {rnn_result.best_epoch}; validation scores (the grading metric):")
            print(format_scores(rnn_result.val_scores))
            fig = learning_curves(rnn_result.history)
            """),
        code("rnn-prediction", """
            show_prediction(rnn_predictor, EXAMPLE)
            """),
        code("rnn-heatmaps", """
            fig = layer_heatmaps(rnn_predictor, EXAMPLE, "RNN")
            """),
        code("rnn-confusion", """
            rnn_true, rnn_pred = validation_tags(rnn_predictor, EVAL_ROWS)
            fig = confusion_matrix_plot(rnn_true, rnn_pred, title="RNN, validation split")
            """),
        markdown("bank-intro", """
            **Left context only.** Both sentences below have the same words before "Bank". The
            cell prints what the RNN predicts for "Bank" in each, and whether its logits
            differ.
            """),
        code("bank", """
            bank_sentences = [["He", "went", "to", "Bank", "of", "America", "yesterday"],
                              ["He", "went", "to", "Bank", "to", "draw", "cash"]]
            bank_ids = DataCollator(tokenizer)([{"text": s} for s in bank_sentences])["input_ids"]
            rnn_predictor.eval()
            bank_logits = rnn_predictor(bank_ids).detach()[:, 3]  # [2, O]: the logits of "Bank"
            for sentence, tags in zip(bank_sentences, rnn_predictor.tag(tokenizer, bank_sentences)):
                print(" ".join(f"{w}/{t}" for w, t in zip(sentence, tags)))
            print("same logits for 'Bank' in both:", torch.allclose(bank_logits[0], bank_logits[1]))
            """),
    ]


def section_5_3() -> list[dict]:
    return [
        markdown("rnn-analysis-title", "## 5.3 RNN analysis"),
        question("question-5_3_1", 2, """
            **Question 5.3.1.** Compare the RNN with the FFNN: the scores (overall and per entity
            type), the kinds of errors in the confusion matrices and prediction tables, and the
            cost of training.
            """),
        answer("answer-5_3_1", 2, """
            The RNN scores higher, and most of the gain is on multi-token entities and `I-`
            tags: it sees the tokens to the left, so after `New/B-LOC` it can tag `York` as
            `I-LOC`, where the FFNN tags each token in isolation and produces broken spans
            (`I-` tags without a `B-`, type changes inside a name). In the confusion matrices
            the FFNN confuses `B-` and `I-` of the same type and `ORG` with `LOC` (country
            names used as teams) more often; both still struggle with `MISC`. The price is
            training time: the RNN processes the time steps one after the other, so an epoch is
            several times slower than the FFNN's at the same sizes, and it has more parameters
            (the `U` matrices of every layer).
            """),
        question("question-5_3_2", 2, """
            **Question 5.3.2.** In a very long sentence, what happens to the information from the
            first tokens by the time the RNN reaches the last one? Why, and what would help?
            """),
        answer("answer-5_3_2", 2, """
            It fades. The state is rewritten at every step, `z_t = f(W x_t + U z_{t-1})`, so
            the contribution of an early token reaches step `t` only through repeated
            multiplication by `U` and by the derivative of the nonlinearity. When these shrink
            vectors (tanh saturates, the largest singular value of `U` is below one), the early
            token's influence decays exponentially with the distance; when they grow, it
            explodes. Training has the same problem backwards: gradients through time vanish
            or explode (which is why we clip them), so the model cannot even learn to keep
            early information. Gated cells (LSTM, GRU), which add an additive memory path,
            residual connections, attention, or simply looking at the sentence from both ends
            (bidirectional) help.
            """),
        question("question-5_3_3", 2, """
            **Question 5.3.3.** Can a left-to-right RNN tell "Bank" in "Bank of America" (an
            organisation) from "Bank" in "went to Bank to draw cash"? Explain with the output of
            the cell above and propose a fix.
            """),
        answer("answer-5_3_3", 2, """
            No. When it outputs the tag of "Bank" at step `t`, a left-to-right RNN has read only
            the tokens up to `t`; the words that decide the meaning ("of America" versus "to
            draw cash") come after it. With the same left context the hidden state at "Bank"
            is the same, so the logits are identical (the cell prints True) and both get the
            same tag, right in at most one of the two. The fix is to give the tagger the right
            context: a bidirectional RNN, which runs a second RNN from right to left and
            concatenates both states before `V` (see the bonus section), or, more cheaply, a
            window of the next tokens as extra input, or delaying the output by a few steps.
            """),
        markdown("question-5_3_4", """
            **Question 5.3.4 (optional, not graded).** What patterns do you see in the RNN's
            activation heatmaps? Compare the two layers, and compare them with the FFNN's.

            *Your optional answer:*
            """),
    ]


def final_submission() -> list[dict]:
    return [
        read_only("final-title", textwrap.dedent("""
            ## Final submission

            The final zip holds the six TODO files of `ner_helpers/`, the tokenizer
            (`artefacts/tokenizer.json`), this notebook with your written answers, and, for
            the FFNN and the RNN, the config, weights and test predictions of
            `artefacts/experiments/ffnn` and `artefacts/experiments/rnn`. The command checks
            every piece first (the files load, shapes fit, at most two layers, predictions for
            every test sentence).
            """).strip() + "\n\n" + SAVE_THE_NOTEBOOK),
        code("final-checks", """
            check_all()
            """),
        code("final-submit", """
            submit("final")  # the same as `ner-kit submit final` in a terminal
            """),
    ]


def bonus() -> list[dict]:
    return [
        markdown("bonus-title", with_time_note("""
            ## Bonus (optional, not graded): a bidirectional tagger with PyTorch's own LSTM

            Write `BiLSTMTagger`: an embedding, a bidirectional `nn.LSTM` (or `nn.GRU`) with
            `batch_first=True`, and a linear layer from the two concatenated directions
            (`2 * hidden_dim`) to the tags. Run the LSTM on **packed** sequences
            (`pack_padded_sequence` with each sentence's true length, then
            `pad_packed_sequence(..., total_length=L)`), so that the backward direction starts
            at each sentence's last real token instead of at its padding. Then compare it with
            your hand-written RNN. (Nothing here goes into a submission.)
            """, "bonus-train", GPU_LSTM)),
        solution_code("bonus-model", """
            class BiLSTMTagger(nn.Module):
                \"\"\"Embedding -> bidirectional LSTM on packed sequences -> linear layer.

                forward(input_ids LongTensor[B, L]) -> logits FloatTensor[B, L, O]. Padding
                (id `pad_id`) must be on the right, as DataCollator puts it by default.
                \"\"\"

                def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim=NUM_NER_TAGS,
                             num_layers=1, pad_id=0):
                    super().__init__()
                    self.pad_id = pad_id
                    ### BEGIN SOLUTION
                    self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
                    self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=num_layers,
                                        batch_first=True, bidirectional=True)
                    self.output = nn.Linear(2 * hidden_dim, output_dim)
                    ### END SOLUTION

                def forward(self, input_ids):
                    ### BEGIN SOLUTION
                    lengths = (input_ids != self.pad_id).sum(dim=1).clamp(min=1).cpu()
                    embedded = self.embedding(input_ids)  # [B, L, D]
                    packed = pack_padded_sequence(embedded, lengths, batch_first=True,
                                                  enforce_sorted=False)
                    states, _ = self.lstm(packed)
                    states, _ = pad_packed_sequence(states, batch_first=True,
                                                    total_length=input_ids.shape[1])  # [B, L, 2H]
                    return self.output(states)
                    ### END SOLUTION
            """),
        code("bonus-train", """
            bonus = NOTEBOOK["bonus"]
            bonus_config = experiment_config("rnn", "bilstm",
                                             f"model.embedding_dim={bonus['embedding_dim']}",
                                             f"model.hidden_dim={bonus['hidden_dim']}",
                                             f"training.epochs={bonus['epochs']}",
                                             *NOTEBOOK["batching"]["overrides"])
            try:
                set_seed(bonus_config["seed"])
                bilstm = BiLSTMTagger(tokenizer.vocab_size, bonus_config["model"]["embedding_dim"],
                                      bonus_config["model"]["hidden_dim"], pad_id=tokenizer.pad_id)
                bilstm_trainer = train_model(bonus_config, model=bilstm)
            except NotImplementedError:
                bilstm_trainer = None
                print("The bonus is optional: fill in BiLSTMTagger above to try it.")

            if bilstm_trainer is not None:
                rnn_seconds = sum(entry["seconds"] for entry in rnn_result.history)
                print(f"{'':>22}{'val weighted F1':>16}{'parameters':>12}{'train (s)':>11}")
                for name, f1, size, seconds in (
                        ("hand-written RNN", rnn_result.val_scores["weighted_f1"],
                         rnn_predictor.num_parameters(), rnn_seconds),
                        ("bidirectional LSTM", best_val_scores(bilstm_trainer.history)["weighted_f1"],
                         sum(p.numel() for p in bilstm.parameters()), bilstm_trainer.seconds)):
                    print(f"{name:>22}{f1:16.4f}{size:12,}{seconds:11.1f}")
                bilstm.eval()
                with torch.inference_mode():
                    logits = bilstm(bank_ids.to(next(bilstm.parameters()).device))
                for sentence, row in zip(bank_sentences, logits.argmax(-1).tolist()):
                    print(" ".join(f"{w}/{NER_TAGS[i]}" for w, i in zip(sentence, row)))
            """),
    ]
