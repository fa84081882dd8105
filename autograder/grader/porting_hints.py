"""Hints for a name that a port from the original course kit (or from an older
release of this kit) leaves undefined.

docs/porting.md lists every difference between the original kit and this one
with its one-line change. Where a literal port would only raise ``NameError``
(a variable the original had and this kit does not), the failure message of the
hidden test gets one more sentence that names the difference, so the student
and the TA see the change to make instead of a bare ``NameError``.
"""

from __future__ import annotations

import re

#: Undefined name -> the difference it points to, in words.
HINTS = {
    "instances": "the batch parameter of DataCollator.__call__ is data_instances (as in the "
                 "original course kit), not instances",
    "dataloader": "_train_epoch and _eval_epoch take no dataloader argument here: loop over "
                  "self.train_loader (or self.val_loader) instead",
    "compute_metrics": "the metrics are recorded with record.add_batch(loss.item(), logits, "
                       "labels) and returned with record.summary(); there is no "
                       "compute_metrics",
    "compute_loss": "the loss is self.loss_fn(logits.view(-1, logits.shape[-1]), "
                    "labels.view(-1)); there is no compute_loss",
    "metrics": "the metrics are recorded with record.add_batch(...) and returned with "
               "record.summary() (docs/porting.md)",
}
UNDEFINED = re.compile(r"NameError: (?:name|free variable) '(\w+)' is not defined")


def with_porting_hint(message: str) -> str:
    """``message`` with a porting hint added when it reports a known undefined name."""
    match = UNDEFINED.search(message)
    if match is None or match.group(1) not in HINTS:
        return message
    return (f"{message}\nporting note: {HINTS[match.group(1)]} (a difference from the "
            "original course kit; docs/porting.md lists them all)")
