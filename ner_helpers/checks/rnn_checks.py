"""Public checks of TODO-5-1 and TODO-5-2, ``RNN`` (ner_helpers/rnn.py)."""

from __future__ import annotations

import torch
from torch import nn

from ner_helpers import rnn as rnn_module
from ner_helpers.checks.expect import Expect

#: The sizes of the example in the package contract: 10 -> 5 -> 2 with 5 layers.
EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM, NUM_LAYERS = 10, 5, 2, 5
NUM_PARAMETERS = 337
NUM_PARAMETERS_WITHOUT_BIAS = 287


def check_linear(expect: Expect, layer: object, what: str, size_in: int, size_out: int,
                 bias: bool) -> None:
    expect.instance(layer, nn.Linear, what)
    expect.equal((layer.in_features, layer.out_features), (size_in, size_out),
                 f"(in_features, out_features) of {what}")
    expect.equal(layer.bias is not None, bias, f"whether {what} has a bias")


def check_rnn_init(expect: Expect) -> None:
    expect.step(f"RNN({EMBEDDING_DIM}, {HIDDEN_DIM}, {OUTPUT_DIM}, num_layers={NUM_LAYERS})")
    model = rnn_module.RNN(EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM, num_layers=NUM_LAYERS)
    for name in ("W", "U"):
        expect.attribute(model, name, nn.ModuleList)
        expect.equal(len(getattr(model, name)), NUM_LAYERS,
                     f"len(self.{name}) with num_layers={NUM_LAYERS}")
    check_linear(expect, model.W[0], "self.W[0]", EMBEDDING_DIM, HIDDEN_DIM, bias=True)
    for k in range(1, NUM_LAYERS):
        check_linear(expect, model.W[k], f"self.W[{k}]", HIDDEN_DIM, HIDDEN_DIM, bias=True)
    for k in range(NUM_LAYERS):
        check_linear(expect, model.U[k], f"self.U[{k}]", HIDDEN_DIM, HIDDEN_DIM, bias=True)
    check_linear(expect, expect.attribute(model, "V", nn.Linear), "self.V", HIDDEN_DIM,
                 OUTPUT_DIM, bias=True)
    expect.equal(model.num_parameters(), NUM_PARAMETERS,
                 f"the number of parameters of RNN({EMBEDDING_DIM}, {HIDDEN_DIM}, {OUTPUT_DIM}, "
                 f"num_layers={NUM_LAYERS})")
    weights = {id(layer.weight) for layer in [*model.W, *model.U]}
    expect.equal(len(weights), 2 * NUM_LAYERS,
                 "the number of distinct W and U weight matrices (no sharing across layers)")

    expect.step(f"RNN({EMBEDDING_DIM}, {HIDDEN_DIM}, {OUTPUT_DIM}, num_layers={NUM_LAYERS}, "
                "bias=False)")
    no_bias = rnn_module.RNN(EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM, num_layers=NUM_LAYERS,
                             bias=False)
    for k in range(NUM_LAYERS):
        expect.true(no_bias.W[k].bias is None and no_bias.U[k].bias is None,
                    f"with bias=False, self.W[{k}] and self.U[{k}] should have no bias")
    expect.equal(no_bias.num_parameters(), NUM_PARAMETERS_WITHOUT_BIAS,
                 "the number of parameters with bias=False")


def check_rnn_forward(expect: Expect) -> None:
    model = rnn_module.RNN(EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM, num_layers=NUM_LAYERS)
    model.init_weights()
    embeddings = torch.randn(2, 4, EMBEDDING_DIM)

    expect.step("model(embeddings) with embeddings of shape [2, 4, 10]")
    out = model(embeddings)
    expect.tensor(out, "the logits", shape=[2, 4, OUTPUT_DIM], dtype=torch.float32)
    expect.true(torch.equal(out, model(embeddings)),
                "two calls on the same input differ (start from the zero hidden state h0)")

    expect.step("model(embeddings[:, :1]): sentences of one token")
    expect.tensor(model(embeddings[:, :1]), "the logits for embeddings of shape [2, 1, 10]",
                  shape=[2, 1, OUTPUT_DIM])

    expect.step("changing the last token of sentence 0")
    later = embeddings.clone()
    later[0, 3] += 1.0
    expect.close(model(later)[0, :3], out[0, :3].detach(),
                 "the logits of the earlier tokens (a left-to-right RNN cannot see later tokens)")

    expect.step("changing the first token of sentence 0")
    earlier = embeddings.clone()
    earlier[0, 0] += 1.0
    expect.true(not torch.allclose(model(earlier)[0, 3], out[0, 3]),
                "the logits of the last token did not change when the first token changed: "
                "carry each layer's hidden state from step t-1 to step t")

    expect.step("backpropagating from the logits of the last step")
    inputs = embeddings.clone().requires_grad_(True)
    model(inputs)[:, -1].sum().backward()
    expect.true(inputs.grad is not None and bool(inputs.grad[:, 0].abs().sum() > 0),
                "no gradient reached the first token from the last step: do not detach the "
                "hidden state between steps")

    expect.step("running sentence 1 alone instead of in a batch of two")
    expect.close(model(embeddings[1:])[0], out[1].detach(),
                 "the logits of sentence 1 (sentences of a batch must not mix)")

    expect.step("giving a non-zero initial state h0 of shape [5, 2, 5]")
    h0 = torch.ones(NUM_LAYERS, 2, HIDDEN_DIM)
    expect.true(not torch.allclose(model(embeddings, h0)[:, 0], out[:, 0]),
                "the logits did not change with a non-zero h0: use h0[k] as the state of "
                "layer k before the first token")
    zeros = torch.zeros(NUM_LAYERS, 2, HIDDEN_DIM)
    expect.close(model(embeddings, zeros), out.detach(), "the logits with h0 = zeros")

    expect.step("recording the activations of self.f[0] .. self.f[4]")
    names = [f"f.{k}" for k in range(NUM_LAYERS)]
    with model.record_activations(names) as record:
        model(embeddings)
    for name in names:
        label = f"self.f[{name.split('.')[1]}]"
        expect.true(name in record, f"{label} was never called: it is the nonlinearity of "
                                    "layer k")
        expect.tensor(record[name], f"the activations of {label} over the sentence",
                      shape=[2, 4, HIDDEN_DIM])
        expect.true(bool(record[name].abs().max() <= 1.0),
                    f"the activations of {label} should be tanh outputs in [-1, 1]")

    expect.step("a one-unit RNN with hand-set weights: z[t] = relu(x[t] + 0.5 z[t-1])")
    tiny = rnn_module.RNN(1, 1, 1, num_layers=1, bias=False, nonlinearity="relu")
    for parameter, value in ((tiny.W[0].weight, 1.0), (tiny.U[0].weight, 0.5),
                             (tiny.V.weight, 1.0), (tiny.V.bias, 0.0)):
        nn.init.constant_(parameter, value)
    logits = tiny(torch.tensor([[[1.0], [0.0], [0.0], [2.0]]]))
    expect.close(logits.flatten(), [1.0, 0.5, 0.25, 2.125],
                 "the logits for inputs [1, 0, 0, 2]")

    expect.step("the same one-unit recurrence with a second layer that copies the first")
    deep = rnn_module.RNN(1, 1, 1, num_layers=2, bias=False, nonlinearity="relu")
    for parameter, value in ((deep.W[0].weight, 1.0), (deep.U[0].weight, 0.5),
                             (deep.W[1].weight, 1.0), (deep.U[1].weight, 0.0),
                             (deep.V.weight, 1.0), (deep.V.bias, 0.0)):
        nn.init.constant_(parameter, value)
    logits = deep(torch.tensor([[[1.0], [0.0], [0.0], [2.0]]]))
    expect.close(logits.flatten(), [1.0, 0.5, 0.25, 2.125],
                 "the logits of the 2-layer RNN (layer 2 reads layer 1 at the same step)")
