"""The operations the grader may ask of the child.

Each operation receives decoded JSON arguments (tensors rebuilt), calls into
the student's package of the requested group, and returns plain data and
tensors. Failures inside student code come back as ``{"error": {...}}`` items
so one call can report several cases; the grader decides what they cost.
The set of operations is fixed: the grader cannot ask the child to run
arbitrary code, and the child never sees a reference implementation.
"""

from __future__ import annotations

import errno
import json
import pickle
from collections.abc import Callable
from typing import Any

import torch

from . import harness, module_harness, trainer_harness
from .packages import PackageSwitcher, describe_exception

#: What a student whose weights.pt holds more than tensors should do instead.
WEIGHTS_HINT = ("save the model's state_dict() (tensors only) with torch.save, as "
                "NERPredictor.save does")

#: The classes a ``module`` call may build: (module of ner_helpers, class name).
MODULE_CLASSES = {("embedding", "TokenEmbedding"), ("ffnn", "FFNN"), ("rnn", "RNN"),
                  ("cnn", "CNNTagger")}


class Context:
    """What every operation needs: the package switcher and the error describer."""

    def __init__(self, roots_dir: str, output_bytes: int = 0) -> None:
        self.roots_dir = roots_dir
        self.output_bytes = output_bytes
        self.packages = PackageSwitcher(roots_dir)

    def describe(self, exc: BaseException) -> dict[str, Any]:
        info = describe_exception(exc, self.roots_dir)
        if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
            info["type"] = "OutputLimit"
            info["message"] = (f"printed more than {self.output_bytes // 1024} KiB of output "
                               "(the limit on stdout and stderr)")
        return info

    def outcome(self, action: Callable[[], Any]) -> dict[str, Any]:
        return harness.outcome(action, self.describe)


def op_import_modules(ctx: Context, modules: list[str]) -> dict[str, Any]:
    """Import the named ``ner_helpers`` modules (raises on the first that fails)."""
    for name in modules:
        ctx.packages.module(name)
    return {"imported": list(modules)}


def op_tokenize(ctx: Context, vocab: list[str], pad_token: str, unk_token: str,
                lowercase: bool, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Build the student's ``Tokenizer`` with a given vocabulary; tokenize each case."""
    tokenizer_class = ctx.packages.module("tokenizer").Tokenizer
    made = ctx.outcome(lambda: tokenizer_class(pad_token, unk_token, lowercase))
    if "error" in made:
        return [made for _ in cases]
    tokenizer = made["ok"]
    tokenizer.token2id = {token: index for index, token in enumerate(vocab)}
    tokenizer.id2token = dict(enumerate(vocab))
    return [ctx.outcome(lambda case=case: tokenizer.tokenize(case["input"], **case["kwargs"]))
            for case in cases]


def op_collate(ctx: Context, vocab: list[str], pad_token: str, unk_token: str, lowercase: bool,
               table: list[list[Any]], cases: list[dict[str, Any]],
               pool: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The student's ``DataCollator`` over a lookup tokenizer; one batch per case.

    A case holds its own rows (``batch``, copied fresh for each call) or, with a
    ``pool`` of rows, the indices of its rows in the pool (``rows``): the pool's
    row objects are made once and shared by every case, as a dataset's rows are
    shared by every epoch, so a collator that changes the caller's rows changes
    the later batches.
    """
    collator_class = ctx.packages.module("collator").DataCollator
    shared = json.loads(json.dumps(pool)) if pool is not None else None
    results = []
    for case in cases:
        tokenizer = harness.LookupTokenizer(vocab, lowercase, pad_token, unk_token, table)

        def run(case: dict[str, Any] = case, tokenizer: Any = tokenizer) -> Any:
            collator = collator_class(tokenizer, **case["kwargs"])
            if shared is not None:
                return collator([shared[int(i)] for i in case["rows"]])
            return collator(json.loads(json.dumps(case["batch"])))

        results.append(ctx.outcome(run))
    return results


def op_module(ctx: Context, module: str, class_name: str, plan: dict[str, Any]) -> dict[str, Any]:
    """Build one of the student's layers and run it as ``plan`` says (see
    :mod:`autograder.sandbox.child.module_harness`)."""
    if (module, class_name) not in MODULE_CLASSES:
        raise LookupError(f"the grader may not build {module}.{class_name}")
    model_class = getattr(ctx.packages.module(module), class_name)
    return module_harness.run_module(model_class, plan, ctx.describe)


def align_vectors_case(align: Callable[..., Any], case: dict[str, Any]) -> dict[str, Any]:
    """``align(token2id, vectors, table, skip_ids)`` on fresh copies of one case's inputs:
    the returned value and the table after the call (written in place)."""
    table = case["table"].clone()
    vectors = {str(word): value.clone() for word, value in case["vectors"].items()}
    returned = align(dict(case["token2id"]), vectors, table, list(case["skip_ids"]))
    return {"returned": returned, "table": table}


def op_align_vectors(ctx: Context, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The student's ``vectors.align_vectors`` on each case: ``token2id`` (word -> id),
    ``vectors`` (word -> FloatTensor[D]), ``table`` FloatTensor[V, D] and ``skip_ids``
    (see :func:`align_vectors_case`)."""
    align = ctx.packages.module("vectors").align_vectors
    return [ctx.outcome(lambda case=case: align_vectors_case(align, case)) for case in cases]


def op_trainer_epoch(ctx: Context, spec: dict[str, Any]) -> dict[str, Any]:
    """One epoch of the student's ``Trainer`` around the harness model and collator."""
    trainer_class = ctx.packages.module("trainer").Trainer
    return trainer_harness.run_trainer_epoch(trainer_class, spec, ctx.describe)


def _tag_with_encoder(ctx: Context, model_dir: str, sentences: list[list[str]],
                      batch_size: int) -> dict[str, Any]:
    """An encoder model (the encoder section), rebuilt by the package's
    ``EncoderPredictor.load`` (weights with ``weights_only=True``, loaded strictly),
    tags ``sentences`` from its own word pieces; the first piece of each word gives the
    word's tag."""
    predictor_class = ctx.packages.module("encoder_predictor").EncoderPredictor
    predictor = predictor_class.load(model_dir)
    predictor.eval()
    tags = predictor.tag(None, sentences, batch_size=batch_size)
    return {"tags": [[str(tag) for tag in sentence] for sentence in tags],
            "model_type": "encoder"}


def op_align_labels(ctx: Context, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The student's ``encoder.first_piece_labels`` on each case (``word_ids``,
    ``word_labels``, ``kwargs``); each reply also holds the inputs as they were after
    the call (``after``), so the grader can see whether they were changed."""
    align = ctx.packages.module("encoder").first_piece_labels
    results = []
    for case in cases:
        word_ids, word_labels = list(case["word_ids"]), list(case["word_labels"])
        outcome = ctx.outcome(lambda w=word_ids, t=word_labels, c=case: align(w, t,
                                                                             **c["kwargs"]))
        outcome["after"] = {"word_ids": _plain(word_ids), "word_labels": _plain(word_labels)}
        results.append(outcome)
    return results


def _plain(values: Any) -> Any:
    """A list of ints and Nones as JSON can carry it (anything else by its type name)."""
    if not isinstance(values, list):
        return type(values).__name__
    return [v if v is None or type(v) is int else type(v).__name__ for v in values]


def load_weights(path: str) -> Any:
    """``torch.load(path, weights_only=True)``; a file with pickled objects other than
    tensors gets a short message naming what was refused (torch's own is long, styled
    for a terminal, and suggests ``weights_only=False``)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        lines = [line.strip() for line in str(exc).splitlines()]
        reason = next((line for line in lines if line.startswith("WeightsUnpickler error:")), "")
        reason = reason.removeprefix("WeightsUnpickler error:").strip().split(". ")[0]
        raise ValueError("weights.pt holds more than tensors, so torch.load(weights_only=True) "
                         f"refused it{f' ({reason})' if reason else ''}; {WEIGHTS_HINT}") \
            from None


def op_tag(ctx: Context, model_dir: str, tokenizer_path: str, sentences: list[list[str]],
           batch_size: int) -> dict[str, Any]:
    """Rebuild a submitted model with the student's package and tag ``sentences``.

    The config is read as JSON, the weights with ``torch.load(weights_only=True)``
    and loaded strictly by name; tagging uses the student's tokenizer file,
    tokenizer and collator through the package's ``NERPredictor.tag``. The reply
    also reports the built model (``built``: its weight matrices, the 2-D
    parameters of ``predictor.model``, and its ``nn.Linear`` modules), so the grader
    can check the layer rule on what was built, next to its own count from the
    weights file.
    """
    packages = ctx.packages
    with open(f"{model_dir}/config.json", encoding="utf-8") as handle:
        declared = json.load(handle)
    if isinstance(declared, dict) and declared.get("model_type") == "encoder":
        return _tag_with_encoder(ctx, model_dir, sentences, batch_size)
    model_config = packages.module("model_config").ModelConfig
    predictor_class = packages.module("predictor").NERPredictor
    tokenizer_class = packages.module("tokenizer").Tokenizer
    with open(f"{model_dir}/config.json", encoding="utf-8") as handle:
        config = model_config.from_dict(json.load(handle))
    state = load_weights(f"{model_dir}/weights.pt")
    if not isinstance(state, dict):
        raise TypeError(f"weights.pt holds a {type(state).__name__}, not a state dict")
    predictor = predictor_class(config)
    predictor.load_state_dict(state, strict=True)
    predictor.eval()
    tokenizer = tokenizer_class.load(tokenizer_path)
    built = predictor.model
    matrices = sum(1 for _, parameter in built.named_parameters() if parameter.dim() == 2)
    linear = sum(1 for module in built.modules() if isinstance(module, torch.nn.Linear))
    tags = predictor.tag(tokenizer, sentences, batch_size=batch_size)
    return {"tags": [[str(tag) for tag in sentence] for sentence in tags],
            "num_layers": int(config.num_layers), "model_type": str(config.model_type),
            "built": {"matrices": int(matrices), "linear_modules": int(linear)}}


OPERATIONS: dict[str, Callable[..., Any]] = {
    "import_modules": op_import_modules,
    "tokenize": op_tokenize,
    "collate": op_collate,
    "module": op_module,
    "trainer_epoch": op_trainer_epoch,
    "align_vectors": op_align_vectors,
    "tag": op_tag,
    "align_labels": op_align_labels,
}
