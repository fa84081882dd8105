"""The late policy: the ``late:`` block of ``grading.yaml``, and what it makes of a
submission handed in after its due time.

A submission is late by whole *units* (``unit: day`` or ``hour``); a partial
unit counts as a whole one, so a submission one second after the due time
(and after ``grace_minutes``) is one unit late. Days are calendar days in the
course's ``timezone``: the k-th late day ends k days after the due time on the
wall clock there, so a day across a daylight-saving change lasts 23 or 25
hours. Hours are elapsed hours.

Of the units late, the student first spends free late units from the
course-wide pool (``free_late``; the ledger, :mod:`.ledger`, carries what is
left from one assignment to the next) in the way ``spend`` says:

``as_needed``
    as many as the submission needs, while any are left;
``whole_only``
    only when the units left cover the whole lateness; otherwise none are
    spent and every unit is penalised.

Each unit not covered then costs ``percent_per_unit`` per cent:

``cap``
    the score is capped at ``100 - percent * units`` per cent of the maximum
    (the score stays when it is under the cap);
``deduct``
    ``percent * units`` per cent of the maximum (``deduct_from: max_score``) or
    of the score itself (``deduct_from: score``) is subtracted.

Neither takes the result under ``minimum_percent`` per cent (of the maximum
for a cap, of the score for a deduction). A submission more than
``cutoff`` units late earns no credit and spends no free units (``cutoff:
null``: no cut-off).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ner_helpers.errors import KitError

UNITS = ("day", "hour")
SPEND_CHOICES = ("as_needed", "whole_only")
PENALTIES = ("cap", "deduct")
DEDUCT_FROM = ("max_score", "score")
UTC = timezone.utc


@dataclass(frozen=True)
class LatePolicy:
    """The ``late:`` block of grading.yaml, checked."""

    timezone: str
    unit: str = "day"
    grace_minutes: float = 0.0
    cutoff: int | None = None
    free_late: int = 0
    spend: str = "as_needed"
    penalty: str = "cap"
    percent_per_unit: float = 0.0
    deduct_from: str = "max_score"
    minimum_percent: float = 0.0
    fractional_ledger: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def units(self) -> str:
        """``days`` or ``hours``: the plural used in columns and messages."""
        return f"{self.unit}s"


@dataclass(frozen=True)
class LateOutcome:
    """What the policy makes of one submission.

    Attributes:
        units_late: whole units after the due time (0: on time).
        free_used: free late units spent on it.
        penalised: units late not covered by free units.
        past_cutoff: more than ``cutoff`` units late (no credit).
        score: the score after the policy (``None`` when the raw score is unknown).
        applied: the cap or deduction in words, empty when none applies.
    """

    units_late: int
    free_used: int
    penalised: int
    past_cutoff: bool
    score: float | None
    applied: str


def read_late_policy(data: dict[str, Any], where: str) -> LatePolicy | None:
    """The ``late:`` block of a grading.yaml mapping (``None`` when there is none)."""
    node = data.get("late")
    if node is None:
        return None
    if not isinstance(node, dict):
        raise KitError(f"{where}: late: must be a mapping")

    def problem(key: str, text: str) -> KitError:
        return KitError(f"{where}: late.{key}: {text}, got {node.get(key)!r}")

    def choice(key: str, choices: tuple[str, ...], default: str) -> str:
        value = node.get(key, default)
        if value not in choices:
            raise problem(key, f"must be one of {', '.join(choices)}")
        return value

    def number(key: str, default: float, *, integer: bool = False,
               upper: float | None = None) -> Any:
        value = node.get(key, default)
        wrong = isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
        if integer and not isinstance(value, int):
            wrong = True
        if wrong or (upper is not None and value > upper):
            kind = "a whole number" if integer else "a number"
            bound = f" <= {upper:g}" if upper is not None else ""
            raise problem(key, f"must be {kind} >= 0{bound}")
        return value

    zone = node.get("timezone")
    if not isinstance(zone, str) or not zone:
        raise problem("timezone", "must name the course's time zone (e.g. Europe/Berlin)")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise problem("timezone", "is not a known IANA time zone") from exc
    cutoff = node.get("cutoff")
    if cutoff is not None:
        cutoff = number("cutoff", 0, integer=True)
    fractional = node.get("fractional_ledger", False)
    if not isinstance(fractional, bool):
        raise problem("fractional_ledger", "must be true or false")
    return LatePolicy(
        timezone=zone,
        unit=choice("unit", UNITS, "day"),
        grace_minutes=float(number("grace_minutes", 0)),
        cutoff=cutoff,
        free_late=number("free_late", 0, integer=True),
        spend=choice("spend", SPEND_CHOICES, "as_needed"),
        penalty=choice("penalty", PENALTIES, "cap"),
        percent_per_unit=float(number("percent_per_unit", 0, upper=100)),
        deduct_from=choice("deduct_from", DEDUCT_FROM, "max_score"),
        minimum_percent=float(number("minimum_percent", 0, upper=100)),
        fractional_ledger=fractional,
    )


def units_late(submitted: datetime, due: datetime, policy: LatePolicy) -> int:
    """Whole units (days or hours) ``submitted`` is after ``due``; 0 when on time.

    Both times must carry their offset. Within ``grace_minutes`` of the due
    time a submission is on time; after it, a partial unit counts whole. Late
    days end on the wall clock of the policy's time zone (a day over a
    daylight-saving change is 23 or 25 hours long).
    """
    submitted, due = submitted.astimezone(UTC), due.astimezone(UTC)
    if submitted <= due + timedelta(minutes=policy.grace_minutes):
        return 0
    if policy.unit == "hour":
        return max(1, math.ceil((submitted - due) / timedelta(hours=1)))
    local_due = due.astimezone(policy.zone).replace(tzinfo=None)
    count = max(1, (submitted - due) // timedelta(days=1) - 1)
    while _day_end(local_due, count, policy) < submitted:
        count += 1
    return count


def _day_end(local_due: datetime, count: int, policy: LatePolicy) -> datetime:
    """The end of the ``count``-th late day: the due time's wall clock ``count`` days on."""
    return (local_due + timedelta(days=count)).replace(tzinfo=policy.zone).astimezone(UTC)


def assess(raw: float | None, max_score: float | None, late: int, free_left: float,
           policy: LatePolicy, decimals: int = 2) -> LateOutcome:
    """Apply ``policy`` to a submission ``late`` units late with ``free_left`` free units.

    ``raw`` is the score before the policy (``None`` when the grader gave
    none), ``max_score`` the most it could be.
    """
    if late == 0:
        return LateOutcome(0, 0, 0, False, raw, "")
    if policy.cutoff is not None and late > policy.cutoff:
        return LateOutcome(late, 0, late, True, None if raw is None else 0.0,
                           f"no credit: more than {policy.cutoff} {policy.units} late")
    available = max(0, math.floor(free_left))
    if policy.spend == "whole_only":
        free = late if late <= available else 0
    else:
        free = min(late, available)
    penalised = late - free
    if penalised == 0 or policy.percent_per_unit == 0:
        return LateOutcome(late, free, penalised, False, raw, "")
    percent = policy.percent_per_unit * penalised
    if policy.penalty == "cap":
        allowed = max(policy.minimum_percent, 100.0 - percent)
        applied = f"capped at {allowed:g}%"
        if raw is None or max_score is None:
            return LateOutcome(late, free, penalised, False, None, applied)
        score = min(raw, max_score * allowed / 100.0)
    else:
        base_name = "maximum" if policy.deduct_from == "max_score" else "score"
        applied = f"-{percent:g}% of the {base_name}"
        if raw is None or max_score is None:
            return LateOutcome(late, free, penalised, False, None, applied)
        base = max_score if policy.deduct_from == "max_score" else raw
        floor = raw * policy.minimum_percent / 100.0
        score = max(raw - base * percent / 100.0, floor, 0.0)
        if policy.minimum_percent and score == floor and floor > raw - base * percent / 100.0:
            applied += f" (kept at the minimum {policy.minimum_percent:g}%)"
    return LateOutcome(late, free, penalised, False, round(score, decimals), applied)
