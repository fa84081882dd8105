"""The late policy: units late (one second, grace, hours, daylight-saving days), free
late days, caps and deductions, the cut-off, and the course example shipped in
grading.yaml."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from autograder.course.late_policy import LatePolicy, assess, read_late_policy, units_late
from autograder.course.times import parse_time
from autograder.grader.settings import default_settings_path
from ner_helpers.config import load_yaml
from ner_helpers.errors import KitError

NEW_YORK = "America/New_York"
COURSE = LatePolicy(timezone=NEW_YORK, unit="day", cutoff=5, free_late=4, spend="as_needed",
                    penalty="cap", percent_per_unit=10)


def at(text: str, policy: LatePolicy = COURSE) -> datetime:
    """The time in UTC, so that adding a timedelta adds elapsed time (not wall-clock time)."""
    return parse_time(text, policy.zone, "test").astimezone(timezone.utc)


def test_the_shipped_policy_is_the_homeworks() -> None:
    path = default_settings_path()
    policy = read_late_policy(load_yaml(path), str(path))
    assert policy == replace(COURSE, timezone=policy.timezone)
    assert policy.zone.key == policy.timezone


def test_one_second_after_the_due_time_is_one_day_late() -> None:
    due = at("2026-10-02T23:59:00")
    assert units_late(due, due, COURSE) == 0
    assert units_late(due + timedelta(seconds=1), due, COURSE) == 1
    assert units_late(due + timedelta(days=1), due, COURSE) == 1
    assert units_late(due + timedelta(days=1, seconds=1), due, COURSE) == 2
    assert units_late(due - timedelta(days=3), due, COURSE) == 0
    # 40 elapsed days and an hour: the 40th late day is an hour longer (clocks went back)
    assert units_late(due + timedelta(days=40, hours=1), due, COURSE) == 40
    assert units_late(due + timedelta(days=40, hours=1, seconds=1), due, COURSE) == 41


def test_grace_period_and_hours() -> None:
    due = at("2026-10-02T23:59:00")
    graced = replace(COURSE, grace_minutes=15)
    assert units_late(due + timedelta(minutes=15), due, graced) == 0
    assert units_late(due + timedelta(minutes=15, seconds=1), due, graced) == 1
    hourly = replace(COURSE, unit="hour")
    assert units_late(due + timedelta(seconds=1), due, hourly) == 1
    assert units_late(due + timedelta(hours=2), due, hourly) == 2
    assert units_late(due + timedelta(hours=2, seconds=1), due, hourly) == 3


def test_late_days_are_calendar_days_across_daylight_saving_changes() -> None:
    # Clocks go back on 2026-11-01 in New York: the first late day is 25 hours long.
    due = at("2026-10-31T23:59:00")
    assert due == datetime(2026, 11, 1, 3, 59, tzinfo=timezone.utc)  # EDT, UTC-4
    assert units_late(due + timedelta(hours=24, minutes=30), due, COURSE) == 1
    assert units_late(due + timedelta(hours=25), due, COURSE) == 1
    assert units_late(due + timedelta(hours=25, seconds=1), due, COURSE) == 2
    # Clocks go forward on 2026-03-08: the first late day is 23 hours long.
    due = at("2026-03-07T23:59:00")
    assert units_late(due + timedelta(hours=23), due, COURSE) == 1
    assert units_late(due + timedelta(hours=23, minutes=30), due, COURSE) == 2
    # Elapsed hours ignore the wall clock.
    hourly = replace(COURSE, unit="hour")
    assert units_late(due + timedelta(hours=23, minutes=30), due, hourly) == 24


def test_times_with_offsets_zones_and_none() -> None:
    zone = COURSE.zone
    assert parse_time("2026-10-03 05:59:01 +0200", zone, "t") == \
        datetime(2026, 10, 3, 3, 59, 1, tzinfo=timezone.utc)
    assert parse_time("2026-10-03T03:59:01Z", zone, "t") == \
        parse_time("2026-10-02T23:59:01", zone, "t")
    assert parse_time("2026-10-03 03:59:01.123456789 UTC", zone, "t").microsecond == 123456
    assert parse_time("2026-10-03T05:59:01 Europe/Berlin", zone, "t") == \
        parse_time("2026-10-02T23:59:01-04:00", zone, "t")
    for bad in ("yesterday", "2026-13-03T00:00", "03/10/2026 12:00", "2026-10-03T05:59 PST"):
        with pytest.raises(KitError, match=r"^where:7: (cannot read|unknown time zone)"):
            parse_time(bad, zone, "where:7")


def test_the_course_example_spends_free_days_then_caps() -> None:
    # 3 days late with 4 free days: no penalty, 3 spent.
    outcome = assess(95, 100, 3, 4, COURSE)
    assert (outcome.free_used, outcome.penalised, outcome.score, outcome.applied) == \
        (3, 0, 95, "")
    # Then 3 days late with 1 left: 1 free, 2 capped days: at most 80%.
    outcome = assess(95, 100, 3, 1, COURSE)
    assert (outcome.free_used, outcome.penalised, outcome.score) == (1, 2, 80)
    assert outcome.applied == "capped at 80%"
    assert assess(70, 100, 3, 1, COURSE).score == 70  # under the cap: kept
    # More than 5 days late: no credit, and no free day spent.
    outcome = assess(95, 100, 6, 4, COURSE)
    assert outcome.past_cutoff and outcome.score == 0 and outcome.free_used == 0
    assert outcome.applied == "no credit: more than 5 days late"
    assert assess(95, 100, 5, 0, COURSE).score == 50


def test_other_kinds_of_policy() -> None:
    whole = replace(COURSE, spend="whole_only")
    assert assess(90, 100, 3, 2, whole).free_used == 0
    assert assess(90, 100, 2, 2, whole).free_used == 2
    deduct = replace(COURSE, penalty="deduct", percent_per_unit=15, free_late=0, cutoff=None)
    assert assess(90, 100, 2, 0, deduct).score == 60  # 90 - 30% of 100
    assert assess(90, 100, 9, 0, deduct).score == 0  # never below zero
    of_score = replace(deduct, deduct_from="score")
    assert assess(80, 100, 2, 0, of_score).score == 56  # 80 - 30% of 80
    floor = replace(deduct, minimum_percent=50)
    assert assess(80, 100, 3, 0, floor).score == 40  # 80 - 45 = 35, kept at 50% of 80
    capped_floor = replace(COURSE, minimum_percent=60, free_late=0)
    assert assess(100, 100, 5, 0, capped_floor).score == 60
    assert assess(None, None, 2, 0, COURSE).score is None
    assert assess(40, 40, 0, 0, COURSE).score == 40


@pytest.mark.parametrize(("late", "problem"), [
    ({"unit": "week"}, "late.unit: must be one of day, hour"),
    ({"timezone": "Mars/Olympus"}, "late.timezone: is not a known IANA time zone"),
    ({"free_late": 1.5}, "late.free_late: must be a whole number >= 0"),
    ({"percent_per_unit": 120}, "late.percent_per_unit: must be a number >= 0 <= 100"),
    ({"cutoff": -1}, "late.cutoff: must be a whole number >= 0"),
])
def test_bad_policies_are_named(late: dict, problem: str) -> None:
    with pytest.raises(KitError, match="^grading.yaml: " + problem.replace(".", r"\.")):
        read_late_policy({"late": {"timezone": NEW_YORK, **late}}, "grading.yaml")
