"""Denormal floats, and the CPU threads that treat them as zero.

Adam's moment estimates of embedding rows that get no gradient shrink by a
constant factor every step and pass through the denormal range (below about
1e-38); arithmetic on denormals is many times slower on most x86 CPUs, so a
training run that keeps them gets slower epoch by epoch. Flushing them to zero
changes nothing a weight can see (docs/reference-results.md).

``torch.set_flush_denormal`` sets only the thread that calls it. torch's worker
threads (the OpenMP pool that splits large operations between the cores) copy
the calling thread's setting once, when torch starts them at its first parallel
operation, and keep it. Hence two steps: the kit turns flushing on when
:mod:`ner_helpers.experiment` is imported, normally before anything is computed,
so that the workers start with it; and a training run checks every thread
(:func:`all_threads_flush`) and warns when some thread does not flush.
"""

from __future__ import annotations

import warnings

import torch

# Elements in the probe: several times the size below which torch keeps an
# element-wise operation on one thread, so that every worker gets a share.
_PROBE_PER_THREAD = 1 << 16


def flush_denormals(enabled: bool) -> bool:
    """Treat denormal floats as zero (``enabled``) or not, in the calling thread and in
    every worker thread torch starts after this call. False when this CPU cannot."""
    return bool(torch.set_flush_denormal(enabled))


def all_threads_flush() -> bool:
    """True when every thread of an element-wise operation flushes denormals.

    Each thread multiplies its share of the smallest denormal float by 2: a thread
    that flushes denormals gets 0, one that does not gets the next denormal. The
    input and output are read through their integer bits, never by float arithmetic
    (which the calling thread's own setting would change).
    """
    size = _PROBE_PER_THREAD * max(torch.get_num_threads(), 1) * 2
    smallest = torch.ones(size, dtype=torch.int32).view(torch.float32)  # 1.4e-45 each
    doubled = smallest * 2.0
    return bool((doubled.view(torch.int32) == 0).all())


def apply_flush_denormals(enabled: bool) -> None:
    """Set denormal flushing for a training run, and warn when ``enabled`` but some of
    torch's worker threads started before the kit could turn it on for them."""
    if not flush_denormals(enabled) or not enabled or all_threads_flush():
        return
    warnings.warn(
        "training.flush_denormals is on, but some of torch's worker threads do not treat "
        "denormal floats as zero: they started before ner_helpers.experiment was imported. "
        "Training still works, but each epoch may be slower than the last. Import "
        "ner_helpers.experiment before computing anything with torch (in a notebook: "
        "restart the kernel and run the cells from the top).", RuntimeWarning, stacklevel=3)


# Before torch starts its worker threads, so that they start flushing (module docstring).
flush_denormals(True)
