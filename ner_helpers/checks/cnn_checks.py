"""Public check of TODO-7-1, ``CNNTagger.forward`` (ner_helpers/cnn.py)."""

from __future__ import annotations

import torch

from ner_helpers import cnn as cnn_module
from ner_helpers.checks.expect import Expect

EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM = 6, 5, 3


def check_cnn_forward(expect: Expect) -> None:
    torch.manual_seed(0)
    model = cnn_module.CNNTagger(EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM, num_layers=2,
                                 kernel_size=3)
    model.init_weights()
    embeddings = torch.randn(2, 5, EMBEDDING_DIM)
    mask = torch.tensor([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1]])   # sentence 1 has 3 tokens

    expect.step("model(embeddings, padding_mask) with embeddings of shape [2, 5, 6]")
    out = model(embeddings, mask)
    expect.tensor(out, "the logits", shape=[2, 5, OUTPUT_DIM], dtype=torch.float32)

    expect.step("model(embeddings[:1, :1]): one sentence of one token, no mask")
    expect.tensor(model(embeddings[:1, :1]), "the logits for embeddings of shape [1, 1, 6]",
                  shape=[1, 1, OUTPUT_DIM])

    expect.step("other values at the padded positions of sentence 1")
    changed = embeddings.clone()
    changed[1, 3:] = 100.0
    expect.close(model(changed, mask)[1, :3], out[1, :3].detach(),
                 "the logits of the real tokens (padding must never reach them: zero the "
                 "padded positions before every convolution)")

    expect.step("sentence 1 alone, without its padding")
    expect.close(model(embeddings[1:, :3])[0], out[1, :3].detach(),
                 "the logits of a sentence alone and padded in a batch")

    expect.step("changing the embedding of token 0 of sentence 0")
    moved = embeddings.clone()
    moved[0, 0] += 1.0
    differs = (model(moved, mask)[0] - out[0]).abs().sum(-1) > 0
    expect.equal(differs.tolist(), [True, True, True, False, False],
                 "which tokens' logits change (two convolutions of width 3: tokens 0 to 2)")

    expect.step("recording the activations of self.f[0] and self.f[1]")
    with model.record_activations(["f.0", "f.1"]) as record:
        model(embeddings, mask)
    for name in ("f.0", "f.1"):
        expect.true(name in record, f"self.{name.replace('.', '[')}] was never called: apply "
                                    "self.f[k] after self.convs[k]")
