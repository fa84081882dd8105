"""Shared test fixtures.

The tests never use the network: the Hugging Face libraries are put in
offline mode before anything imports them.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Tests run in parallel workers (pytest -n 2 on 2 cores): one compute thread per
# process, also in the subprocesses they start. Several processes each spinning
# several OpenMP threads on the same cores slow torch down a hundredfold.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

#: The real corpora kept beside the project (``../shared/data``), never committed.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of shared real corpora; tests using it are skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared corpora not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _denormals_restored():
    """Importing ``ner_helpers.experiment`` and training flush denormal floats in the calling
    thread (``ner_helpers.numerics``); every test starts and ends with IEEE floats there, so
    that no test depends on which tests ran before it in the same worker."""
    torch.set_flush_denormal(False)
    yield
    torch.set_flush_denormal(False)
