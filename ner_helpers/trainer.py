"""Training and evaluation loops, checkpoints, metrics log and model selection.

Students write the two epoch loops (``_train_epoch`` and ``_eval_epoch``);
everything else here is provided: running epochs, saving a checkpoint per
epoch and a JSONL metrics log, resuming, keeping the best epoch by validation
entity F1, and (optionally) averaging the weights of the last epochs.
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.std import TqdmExperimentalWarning

with warnings.catch_warnings():
    # tqdm.auto would also wrap the bar in tqdm.asyncio's class, whose constructor
    # opens an iterator of the loader it wraps: a DataLoader draws its workers' base
    # seed from its shuffling generator on every iterator, so wrapping the loader
    # changed the shuffle order. The notebook-or-terminal bar alone does not.
    warnings.simplefilter("ignore", category=TqdmExperimentalWarning)
    from tqdm.autonotebook import tqdm

from ner_helpers.batching import training_loader
from ner_helpers.constants import NER_ENCODING_MAP, NUM_NER_TAGS, PAD_NER_TAG_ID
from ner_helpers.device import resolve_device
from ner_helpers.epoch_record import EpochRecord
from ner_helpers.errors import KitError

METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoints"
SELECTION_METRIC = "weighted_f1"


def balanced_class_weights(dataset: Iterable[Mapping], label_colname: str = "NER") -> torch.Tensor:
    """Weights FloatTensor[num_tags], indexed by tag id: ``n / (num_tags * count[tag])``.

    Rare tags weigh more. A tag absent from the data gets weight 1.
    """
    counts = Counter(NER_ENCODING_MAP[tag] for row in dataset for tag in row[label_colname])
    total = sum(counts.values())
    weights = torch.ones(NUM_NER_TAGS)
    for tag_id, count in counts.items():
        weights[tag_id] = total / (NUM_NER_TAGS * count)
    return weights


class Trainer:
    """Trains a tagger and evaluates it.

    Args:
        model: maps ``input_ids`` LongTensor[B, L] to logits FloatTensor[B, L, O].
        optimizer: built on ``model.parameters()``.
        data_collator: turns a list of rows into a batch dict (``input_ids``,
            ``padding_mask``, ``labels``).
        train_data, val_data: sequences of rows (``text``, ``NER``).
        grad_clip_max_norm: clip the gradient norm to this value after each
            backward pass; ``None`` turns clipping off.
        use_class_weights: weight the loss by :func:`balanced_class_weights`.
        device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``...
        batch_size: rows per batch.
        seed: seeds the shuffling of the training data.
        show_progress: draw progress bars.
        average_last_epochs: score and keep, at each epoch, the mean of the
            weights at the end of the last N epochs rather than the latest
            weights alone (checkpoint averaging: the mean usually sits nearer
            the centre of a good region than any single epoch). Training
            itself always continues from the latest weights. 1 turns it off.
        group_by_length: batch training sentences of similar length together
            (:class:`ner_helpers.batching.LengthGroupedBatchSampler`), in a
            shuffled order: less padding, the same data each epoch.
        group_chunk_batches: with ``group_by_length``, how many batches' worth
            of shuffled sentences are sorted by length together.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer,
                 data_collator: Callable[[list], dict[str, torch.Tensor]],
                 train_data: Sequence[Mapping], val_data: Sequence[Mapping] | None = None,
                 grad_clip_max_norm: float | None = None, use_class_weights: bool = False,
                 device: str | torch.device = "auto", batch_size: int = 32, seed: int = 0,
                 show_progress: bool = True, average_last_epochs: int = 1,
                 group_by_length: bool = False, group_chunk_batches: int = 50) -> None:
        self.device = resolve_device(device)
        self.model = model.to(self.device)
        self.optimizer = optimizer
        self.data_collator = data_collator
        self.grad_clip_max_norm = grad_clip_max_norm
        self.show_progress = show_progress
        if int(average_last_epochs) < 1:
            raise KitError(f"average_last_epochs must be at least 1, got {average_last_epochs}")
        self.average_last_epochs = int(average_last_epochs)
        # Copies of the weights at the end of the most recent epochs, oldest first.
        self.recent_states: list[dict[str, torch.Tensor]] = []

        class_weights = balanced_class_weights(train_data) if use_class_weights else None
        if class_weights is not None:
            class_weights = class_weights.to(self.device)
        # Cross-entropy takes raw logits [N, O] and tag ids [N]; pad positions
        # (id -100) are ignored, so padding never contributes to the loss.
        self.loss_fn = nn.CrossEntropyLoss(weight=class_weights, ignore_index=PAD_NER_TAG_ID)

        self.shuffle_generator = torch.Generator().manual_seed(seed)
        self.train_loader = training_loader(train_data, batch_size, data_collator,
                                            self.shuffle_generator, group_by_length,
                                            group_chunk_batches)
        self.val_loader = None
        if val_data is not None:
            self.val_loader = DataLoader(val_data, batch_size=batch_size, shuffle=False,
                                         collate_fn=data_collator)
        self.batch_size = batch_size
        self.history: list[dict[str, Any]] = []
        self.best_epoch: int | None = None
        self.best_score = float("-inf")
        self.best_state: dict[str, torch.Tensor] | None = None

    def _progress(self, loader: Iterable, desc: str) -> Iterable:
        """``loader`` with a progress bar: the same batches in the same order as
        ``for batch in loader`` (it draws nothing from the shuffling generator)."""
        return tqdm(loader, desc=desc, leave=False, disable=not self.show_progress,
                    dynamic_ncols=True)

    # ------------------------------------------------------------------ epochs
    def _train_epoch(self) -> dict[str, Any]:
        """One pass over ``self.train_loader``, updating the model after every batch.

        Every batch counts, a short last batch (even of one sentence) too. The
        model may come in evaluation mode and with gradients left over from
        before the epoch: the results must not depend on either.

        Returns ``EpochRecord.summary()``: the epoch's loss and scores.
        """
        record = EpochRecord()
        # TODO-3-1 hint: put the model in training mode; for each batch, move the
        # input ids and labels to self.device, zero the gradients (before the backward
        # pass, so that no batch sees another's gradients), compute logits and
        # self.loss_fn (it wants [N, O] logits and [N] labels), backpropagate, clip the
        # gradient norm when self.grad_clip_max_norm is set (only then), take one
        # optimizer step, and record.add_batch(...) the detached results.
        ### BEGIN SOLUTION
        self.model.train()
        for batch in self._progress(self.train_loader, "train"):
            input_ids = batch["input_ids"].to(self.device)
            labels = batch["labels"].to(self.device)
            self.optimizer.zero_grad()
            logits = self.model(input_ids)  # [B, L, O]
            loss = self.loss_fn(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
            loss.backward()
            if self.grad_clip_max_norm is not None:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip_max_norm)
            self.optimizer.step()
            record.add_batch(loss.item(), logits.detach(), labels)
        ### END SOLUTION
        return record.summary()

    @torch.no_grad()
    def _eval_epoch(self) -> dict[str, Any]:
        """One pass over ``self.val_loader`` without changing the model.

        Every batch counts, a short last batch (even of one sentence) too. The
        model may come in training mode. The loss is ``self.loss_fn``'s, with
        its class weights when ``use_class_weights`` is on. The method runs
        without gradient tracking (the provided ``@torch.no_grad()``, as in the
        original course kit).

        Returns ``EpochRecord.summary()``: the loss and scores over the whole split.
        """
        record = EpochRecord()
        # TODO-3-2 hint: put the model in evaluation mode and compute logits and
        # self.loss_fn for each batch and record them. Gradients stay off: the provided
        # @torch.no_grad() covers the whole method (do not turn them back on).
        ### BEGIN SOLUTION
        self.model.eval()
        with torch.no_grad():
            for batch in self._progress(self.val_loader, "eval"):
                input_ids = batch["input_ids"].to(self.device)
                labels = batch["labels"].to(self.device)
                logits = self.model(input_ids)
                loss = self.loss_fn(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
                record.add_batch(loss.item(), logits, labels)
        ### END SOLUTION
        return record.summary()

    def evaluate(self, data: Sequence[Mapping]) -> dict[str, Any]:
        """Loss and scores on any labelled split (uses :meth:`_eval_epoch`)."""
        saved = self.val_loader
        self.val_loader = DataLoader(data, batch_size=self.batch_size, shuffle=False,
                                     collate_fn=self.data_collator)
        try:
            return self._eval_epoch()
        finally:
            self.val_loader = saved

    # ------------------------------------------------------------------ the run
    def train(self, num_epochs: int, output_dir: str | Path | None = None,
              resume_from: str | Path | None = None) -> list[dict[str, Any]]:
        """Run epochs ``1..num_epochs`` and leave the best epoch's weights in the model.

        With ``output_dir``, each epoch appends a line to ``metrics.jsonl`` and
        writes ``checkpoints/epoch_NNN.pt``. ``resume_from`` (a checkpoint file or
        an experiment folder, meaning its latest checkpoint) continues a run
        where it stopped; the result is the same as an uninterrupted run.
        The best epoch is the one with the highest validation weighted entity F1
        (the training F1 when there is no validation data). With
        ``average_last_epochs`` above 1, each epoch's validation scores, and
        the weights kept for the best epoch, are those of the averaged weights.
        """
        start_epoch = 1
        if resume_from is not None:
            start_epoch = self.load_checkpoint(resume_from) + 1
        folder = Path(output_dir) if output_dir is not None else None
        if folder is not None:
            (folder / CHECKPOINT_DIR).mkdir(parents=True, exist_ok=True)
            self._truncate_metrics_log(folder / METRICS_FILE, start_epoch - 1)

        epochs = tqdm(range(start_epoch, num_epochs + 1), desc="epochs",
                      disable=not self.show_progress, dynamic_ncols=True,
                      initial=start_epoch - 1, total=num_epochs)
        for epoch in epochs:
            started = time.perf_counter()
            train_scores = self._train_epoch()
            with self._weights_to_score():
                val_scores = self._eval_epoch() if self.val_loader is not None else None
                score = (val_scores or train_scores)[SELECTION_METRIC]
                if score > self.best_score:
                    self.best_epoch, self.best_score = epoch, score
                    self.best_state = copy.deepcopy(self.model.state_dict())
            entry = {"epoch": epoch, "seconds": round(time.perf_counter() - started, 3),
                     "train": train_scores, "val": val_scores}
            self.history.append(entry)
            epochs.set_postfix(loss=f"{train_scores['loss']:.3f}", f1=f"{score:.3f}",
                               best=self.best_epoch)
            if folder is not None:
                with open(folder / METRICS_FILE, "a", encoding="utf-8") as log:
                    log.write(json.dumps(entry) + "\n")
                self.save_checkpoint(folder / CHECKPOINT_DIR / f"epoch_{epoch:03d}.pt", epoch)

        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        return self.history

    @contextlib.contextmanager
    def _weights_to_score(self) -> Iterator[None]:
        """Inside the block the model holds the weights this epoch is scored and
        kept with: the latest ones, or the mean over the last
        ``average_last_epochs`` epochs. The latest weights come back afterwards."""
        if self.average_last_epochs > 1:
            latest = {name: value.detach().clone()
                      for name, value in self.model.state_dict().items()}
            self.recent_states = (self.recent_states + [latest])[-self.average_last_epochs:]
        if len(self.recent_states) < 2:
            yield
            return
        self.model.load_state_dict(average_states(self.recent_states))
        try:
            yield
        finally:
            self.model.load_state_dict(self.recent_states[-1])  # the latest weights

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path: str | Path, epoch: int) -> None:
        """Everything needed to continue: weights, optimizer, RNG states, history, best."""
        state = {
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            # Dropout on a GPU draws from the CUDA generators, which have their own state.
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "shuffle_rng": self.shuffle_generator.get_state(),
            "history": self.history,
            "best_epoch": self.best_epoch,
            "best_score": self.best_score,
            "best_state": self.best_state,
            # The latest weights are "model"; keep only the earlier ones averaged with them.
            "earlier_states": self.recent_states[:-1],
        }
        path = Path(path)
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(path)

    def load_checkpoint(self, path: str | Path) -> int:
        """Restore a checkpoint; return the epoch it finished."""
        path = latest_checkpoint(path)
        state = torch.load(path, map_location=self.device, weights_only=True)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"].cpu())
        cuda_rng = state.get("cuda_rng")
        if cuda_rng is not None and len(cuda_rng) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([generator_state.cpu() for generator_state in cuda_rng])
        self.shuffle_generator.set_state(state["shuffle_rng"].cpu())
        self.history = list(state["history"])
        self.best_epoch, self.best_score = state["best_epoch"], state["best_score"]
        self.best_state = state["best_state"]
        if self.average_last_epochs > 1:
            earlier = list(state.get("earlier_states", []))
            self.recent_states = (earlier + [dict(state["model"])])[-self.average_last_epochs:]
        return int(state["epoch"])

    def _truncate_metrics_log(self, path: Path, last_epoch: int) -> None:
        """Keep only the log lines of epochs up to ``last_epoch`` (for a clean resume)."""
        if not path.exists():
            return
        kept = [line for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line)["epoch"] <= last_epoch]
        path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")


def average_states(states: Sequence[Mapping[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of several state dicts with the same keys and shapes.

    Floating-point tensors are averaged; any other tensor (an integer counter,
    say) is taken from the last state.
    """
    averaged = {}
    for name, last in states[-1].items():
        if last.is_floating_point():
            averaged[name] = torch.stack([state[name] for state in states]).mean(dim=0)
        else:
            averaged[name] = last.clone()
    return averaged


def latest_checkpoint(path: str | Path) -> Path:
    """``path`` itself when it is a file, else the newest ``epoch_NNN.pt`` below it."""
    path = Path(path)
    if path.is_file():
        return path
    candidates = sorted(path.glob(f"{CHECKPOINT_DIR}/epoch_*.pt"))
    candidates = candidates or sorted(path.glob("epoch_*.pt"))
    if not candidates:
        raise KitError(f"{path}: no checkpoint to resume from")
    return candidates[-1]
