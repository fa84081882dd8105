"""The benchmark scripts: each answers --help, and the lazy-update measurement clips a
sparse gradient exactly as torch clips the same gradient held dense."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from lazy_table_updates import clip_grad_norm_  # noqa: E402


@pytest.mark.parametrize("script", sorted(p.name for p in BENCHMARKS.glob("*.py")))
def test_benchmark_script_answers_help(script):
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:")


@pytest.mark.parametrize("max_norm", [0.01, 100.0])
def test_lazy_clipping_matches_torch_on_the_dense_gradient(max_norm):
    def gradients(sparse: bool) -> tuple[list[torch.Tensor], torch.Tensor]:
        torch.manual_seed(0)
        table = nn.Embedding(50, 4, sparse=sparse)
        layer = nn.Linear(4, 3)
        layer(table(torch.tensor([[1, 2, 2, 7], [7, 7, 0, 3]]))).pow(2).sum().backward()
        params = [table.weight, *layer.parameters()]
        clip = clip_grad_norm_ if sparse else nn.utils.clip_grad_norm_
        total = clip(params, max_norm)
        return [p.grad.to_dense() for p in params], total

    lazy, lazy_total = gradients(sparse=True)
    dense, dense_total = gradients(sparse=False)
    assert torch.allclose(lazy_total, dense_total)
    for a, b in zip(lazy, dense):
        assert torch.allclose(a, b, atol=1e-6)
