"""Public checks of TODO-4-1 and TODO-4-2, ``FFNN`` (ner_helpers/ffnn.py)."""

from __future__ import annotations

import torch
from torch import nn

from ner_helpers import ffnn as ffnn_module
from ner_helpers.checks.expect import Expect

#: The sizes of the example in the package contract: 10 -> 5 -> 2 with 5 layers.
EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM, NUM_LAYERS = 10, 5, 2, 5
NUM_PARAMETERS = 187


def check_linear(expect: Expect, layer: object, what: str, size_in: int, size_out: int) -> None:
    expect.instance(layer, nn.Linear, what)
    expect.equal((layer.in_features, layer.out_features), (size_in, size_out),
                 f"(in_features, out_features) of {what}")
    expect.true(layer.bias is not None, f"{what} should have a bias")


def check_ffnn_init(expect: Expect) -> None:
    expect.step(f"FFNN({EMBEDDING_DIM}, {HIDDEN_DIM}, {OUTPUT_DIM}, num_layers={NUM_LAYERS})")
    model = ffnn_module.FFNN(EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM, num_layers=NUM_LAYERS)
    check_linear(expect, expect.attribute(model, "W", nn.Linear), "self.W", EMBEDDING_DIM,
                 HIDDEN_DIM)
    expect.attribute(model, "U", nn.ModuleList)
    expect.equal(len(model.U), NUM_LAYERS - 1, f"len(self.U) with num_layers={NUM_LAYERS}")
    for k, layer in enumerate(model.U):
        check_linear(expect, layer, f"self.U[{k}]", HIDDEN_DIM, HIDDEN_DIM)
    check_linear(expect, expect.attribute(model, "V", nn.Linear), "self.V", HIDDEN_DIM,
                 OUTPUT_DIM)
    expect.equal(model.num_parameters(), NUM_PARAMETERS,
                 f"the number of parameters of FFNN({EMBEDDING_DIM}, {HIDDEN_DIM}, "
                 f"{OUTPUT_DIM}, num_layers={NUM_LAYERS})")
    names = [name for name, _ in model.named_parameters()]
    expect.true(all(name.split(".")[0] in ("W", "U", "V") for name in names),
                f"all parameters should live in W, U and V, found {names}")

    expect.step(f"FFNN({EMBEDDING_DIM}, {HIDDEN_DIM}, {OUTPUT_DIM}, num_layers=1)")
    single = ffnn_module.FFNN(EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM, num_layers=1)
    expect.equal(len(single.U), 0, "len(self.U) with num_layers=1")
    expect.equal(single.num_parameters(), 67, "the number of parameters with num_layers=1")


def check_ffnn_forward(expect: Expect) -> None:
    model = ffnn_module.FFNN(EMBEDDING_DIM, HIDDEN_DIM, OUTPUT_DIM, num_layers=NUM_LAYERS)
    model.init_weights()
    embeddings = torch.randn(2, 3, EMBEDDING_DIM)

    expect.step("model(embeddings) with embeddings of shape [2, 3, 10]")
    out = model(embeddings)
    expect.tensor(out, "the logits", shape=[2, 3, OUTPUT_DIM], dtype=torch.float32)
    expect.true(torch.equal(out, model(embeddings)), "two calls on the same input differ")

    expect.step("model(embeddings[:1, :1]): one sentence of one token")
    expect.tensor(model(embeddings[:1, :1]), "the logits for embeddings of shape [1, 1, 10]",
                  shape=[1, 1, OUTPUT_DIM])

    expect.step("changing the embedding of one token")
    changed = embeddings.clone()
    changed[0, 2] += 1.0
    other = model(changed)
    expect.close(other[0, :2], out[0, :2].detach(),
                 "the logits of the other tokens (an FFNN looks at each token on its own)")

    expect.step("recording the activations of the ReLUs self.f[0] .. self.f[4] (one vector "
                "per token, whatever layout forward uses)")
    names = [f"f.{k}" for k in range(NUM_LAYERS)]
    with model.record_activations(names) as record:
        model(embeddings)
    for name in names:
        expect.true(name in record, f"self.{name.replace('.', '[')}] was never called: apply "
                                    "self.f[k] after the k-th hidden layer")
        expect.tensor(record[name], f"the output of self.{name.replace('.', '[')}]",
                      shape=[2, 3, HIDDEN_DIM])

    expect.step("backpropagating from the logits")
    model.zero_grad()
    logits = model(embeddings)
    # a weighted sum: the plain sum of softmax outputs is constant, with no gradient at all
    (logits * torch.linspace(0.5, 1.5, logits.numel()).reshape(logits.shape)).sum().backward()
    expect.true(model.W.weight.grad is not None and bool(model.W.weight.grad.abs().sum() > 0),
                "no gradient reached self.W from the logits: do not detach the hidden "
                "activations")

    expect.step("a one-unit FFNN with hand-set weights: W = 2x - 1, V = 3h + 0.5")
    tiny = ffnn_module.FFNN(1, 1, 1, num_layers=1)
    for parameter, value in ((tiny.W.weight, 2.0), (tiny.W.bias, -1.0), (tiny.V.weight, 3.0),
                             (tiny.V.bias, 0.5)):
        nn.init.constant_(parameter, value)
    logits = tiny(torch.tensor([[[1.0], [0.2]]]))
    expect.close(logits.flatten(), [3.5, 0.5],
                 "the logits for inputs [1.0, 0.2] (ReLU after W; no softmax after V)")

    expect.step("all hidden biases -100, so every ReLU outputs 0")
    for layer in [model.W, *model.U]:
        nn.init.constant_(layer.bias, -100.0)
    model.V.bias.data = torch.tensor([4.0, -2.0])
    expect.close(model(embeddings)[0, 0], [4.0, -2.0],
                 "the logits when every hidden unit is 0 (V's bias; a ReLU after every "
                 "hidden layer, no softmax)")
