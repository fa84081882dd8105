"""Public checks of TODO-2-1 and TODO-2-2, ``TokenEmbedding`` (ner_helpers/embedding.py)."""

from __future__ import annotations

import torch
from torch import nn

from ner_helpers import embedding as embedding_module
from ner_helpers.checks.expect import Expect

VOCAB_SIZE, DIM = 20, 4


def check_embedding_init(expect: Expect) -> None:
    expect.step(f"TokenEmbedding({VOCAB_SIZE}, {DIM}, padding_idx=0)")
    layer = embedding_module.TokenEmbedding(VOCAB_SIZE, DIM, padding_idx=0)
    expect.attribute(layer, "embedding", nn.Embedding)
    expect.equal(layer.embedding.num_embeddings, VOCAB_SIZE, "self.embedding.num_embeddings")
    expect.equal(layer.embedding.embedding_dim, DIM, "self.embedding.embedding_dim")
    expect.equal(layer.embedding.padding_idx, 0, "self.embedding.padding_idx")
    expect.equal(sorted(name for name, _ in layer.named_parameters()), ["embedding.weight"],
                 "the parameter names of TokenEmbedding")
    expect.equal(layer.num_parameters(), VOCAB_SIZE * DIM, "the number of parameters")

    for option, plain in (("max_norm", None), ("scale_grad_by_freq", False), ("sparse", False)):
        expect.equal(getattr(layer.embedding, option), plain,
                     f"self.embedding.{option} (keep nn.Embedding's default)")

    expect.step(f"TokenEmbedding({VOCAB_SIZE}, {DIM}, padding_idx=3)")
    other = embedding_module.TokenEmbedding(VOCAB_SIZE, DIM, padding_idx=3)
    expect.equal(other.embedding.padding_idx, 3,
                 "self.embedding.padding_idx when padding_idx=3 is given")


def check_embedding_forward(expect: Expect) -> None:
    layer = embedding_module.TokenEmbedding(VOCAB_SIZE, DIM, padding_idx=0)
    layer.init_weights()
    input_ids = torch.tensor([[2, 7, 0], [5, 0, 0]])

    expect.step("layer(input_ids) with input_ids of shape [2, 3]")
    out = layer(input_ids)
    expect.tensor(out, "the output for input_ids of shape [2, 3]", shape=[2, 3, DIM],
                  dtype=torch.float32)
    expect.close(out[0, 1], layer.embedding.weight[7].detach(),
                 "the vector of token id 7 (row 7 of the embedding table)")
    expect.close(out[1, 0], layer.embedding.weight[5].detach(), "the vector of token id 5")
    expect.close(out[0, 2], torch.zeros(DIM), "the vector of the pad id 0")

    expect.step("backpropagating through the layer")
    out.sum().backward()
    gradient = layer.embedding.weight.grad
    expect.true(gradient is not None, "the embedding table got no gradient from forward")
    expect.close(gradient[0], torch.zeros(DIM),
                 "the gradient of the pad row (padding must get no gradient)")

    expect.step("layer(input_ids) with one sentence of one token, input_ids of shape [1, 1]")
    expect.tensor(layer(torch.tensor([[7]])), "the output for input_ids of shape [1, 1]",
                  shape=[1, 1, DIM])
