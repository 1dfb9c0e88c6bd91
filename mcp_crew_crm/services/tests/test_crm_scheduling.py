"""Meeting slot proposal: feasibility, ranking, explanations and input checks."""

import dataclasses
import datetime as dt
import random
import time
import zoneinfo

import pytest

from mcp_crew.services.errors import InvalidRequest
from mcp_crew_crm.services import scheduling

UTC = dt.timezone.utc
SAO_PAULO = "America/Sao_Paulo"
LISBON = "Europe/Lisbon"
MONDAY = dt.date(2025, 1, 13)  # São Paulo UTC-3, Lisbon UTC+0
SUMMER_MONDAY = dt.date(2025, 7, 7)  # São Paulo UTC-3, Lisbon UTC+1


def at(day, hour, minute=0, tz=SAO_PAULO, base=MONDAY):
    """An aware datetime ``day`` days after ``base`` at ``hour:minute`` in ``tz``."""
    moment = dt.datetime.combine(base + dt.timedelta(days=day), dt.time(hour, minute))
    return moment.replace(tzinfo=zoneinfo.ZoneInfo(tz))


def office(start=9, end=18, days=range(5)):
    return {day: [(dt.time(start), dt.time(end))] for day in days}


def person(name="Ana", tz=SAO_PAULO, hours=None, busy=()):
    return scheduling.Attendee(name, tz, office() if hours is None else hours, busy)


def busy(start, end, label=""):
    return scheduling.BusyInterval(start, end, label)


def request(attendees=None, **overrides):
    """Monday-to-Friday window of the week of MONDAY, 1 h meetings, every result."""
    values = dict(
        attendees=attendees or [person()],
        duration_minutes=60,
        window_start=at(0, 0),
        window_end=at(5, 0),
        now=at(-3, 12),
        max_results=10_000,
    )
    values.update(overrides)
    return scheduling.SchedulingRequest(**values)


def starts(slots, tz=SAO_PAULO):
    """Slot starts as local (day offset from MONDAY, "HH:MM") pairs."""
    zone = zoneinfo.ZoneInfo(tz)
    result = []
    for slot in slots:
        local = slot.start.astimezone(zone)
        result.append(((local.date() - MONDAY).days, local.strftime("%H:%M")))
    return result


def monday_starts(slots):
    return [hhmm for day, hhmm in starts(slots) if day == 0]


# ---------------------------------------------------------------------------
# feasibility


def test_busy_intervals_of_every_attendee_exclude_overlapping_slots():
    ana = person(busy=[busy(at(0, 10), at(0, 11))])
    bruno = person("Bruno", busy=[busy(at(0, 14), at(0, 15, 30))])
    slots = scheduling.propose_slots(request([ana, bruno], duration_minutes=30))
    monday = monday_starts(slots)
    # touching a meeting is fine without a buffer (half-open intervals)
    assert "09:30" in monday and "11:00" in monday and "13:30" in monday
    assert "15:30" in monday
    for blocked in ("09:45", "10:00", "10:30", "10:45", "13:45", "14:00", "15:00", "15:15"):
        assert blocked not in monday
    for slot in slots:
        for interval in ana.busy + bruno.busy:
            assert slot.end <= interval.start or slot.start >= interval.end


def test_buffer_excludes_slots_adjacent_to_events():
    ana = person(busy=[busy(at(0, 9), at(0, 10)), busy(at(0, 14), at(0, 15))])
    with_buffer = monday_starts(scheduling.propose_slots(request([ana], buffer_minutes=15)))
    assert "10:00" not in with_buffer and "10:15" in with_buffer
    # a 1 h meeting must end 15 min before the 14:00 event
    assert "13:00" not in with_buffer and "12:45" in with_buffer
    assert "15:00" not in with_buffer and "15:15" in with_buffer
    without = monday_starts(scheduling.propose_slots(request([ana])))
    assert "10:00" in without and "13:00" in without and "15:00" in without


@pytest.mark.parametrize(
    "base, first_utc, last_end_utc",
    [(MONDAY, 12, 18), (SUMMER_MONDAY, 12, 17)],
    ids=["winter", "lisbon-summer-time"],
)
def test_working_hours_intersect_across_timezones(base, first_utc, last_end_utc):
    ana = person("Ana", SAO_PAULO)  # 09:00-18:00 São Paulo = 12:00-21:00 UTC
    rui = person("Rui", LISBON)  # 09:00-18:00 Lisbon = 09:00-18:00 UTC (08-17 in summer)
    req = request(
        [ana, rui],
        window_start=at(0, 0, base=base),
        window_end=at(1, 0, base=base),
        now=at(-1, 0, base=base),
    )
    slots = scheduling.propose_slots(req)
    assert slots
    day = base
    assert min(slot.start for slot in slots) == dt.datetime.combine(
        day, dt.time(first_utc), tzinfo=UTC
    )
    assert max(slot.end for slot in slots) == dt.datetime.combine(
        day, dt.time(last_end_utc), tzinfo=UTC
    )
    assert len(slots) == (last_end_utc - first_utc - 1) * 4 + 1  # every 15 min


def test_no_common_working_time_gives_no_slots():
    tokyo = person("Kenji", "Asia/Tokyo")  # 09:00-18:00 Tokyo = 00:00-09:00 UTC
    assert scheduling.propose_slots(request([person(), tokyo])) == []


def test_weekends_and_days_off_are_excluded():
    ana = person()
    bruno = person("Bruno", hours=office(days=[0, 1, 3, 4, 5]))  # off Wednesday, works Saturday
    req = request([ana, bruno], window_end=at(7, 0))  # Monday to next Monday
    days = {day for day, _ in starts(scheduling.propose_slots(req))}
    assert days == {0, 1, 3, 4}


def test_working_period_ending_at_midnight():
    night = person(hours={0: [(dt.time(20), dt.time(0))]})
    slots = scheduling.propose_slots(request([night], window_end=at(2, 0)))
    assert monday_starts(slots)[0] == "20:00"
    assert max(slot.end for slot in slots) == at(1, 0)
    assert len(slots) == 13


def test_now_excludes_past_slots_and_starts_on_the_grid():
    now = at(0, 11, 7)
    slots = scheduling.propose_slots(request(now=now))
    assert min(slot.start for slot in slots) == at(0, 11, 15)
    assert all(slot.start >= now for slot in slots)
    late = request(now=at(6, 0))  # after the window
    assert scheduling.propose_slots(late) == []


def test_grid_follows_the_organisers_wall_clock():
    # Kolkata is UTC+5:30: an hourly grid in UTC would give 09:30, 10:30...
    priya = person("Priya", "Asia/Kolkata")
    req = request([priya], step_minutes=60, window_start=at(0, 0, tz="Asia/Kolkata"))
    assert {hhmm for _, hhmm in starts(scheduling.propose_slots(req), "Asia/Kolkata")} == {
        "%02d:00" % hour for hour in range(9, 18)
    }


def test_external_attendee_without_working_hours_only_brings_busy_times():
    guest = scheduling.Attendee("Guest", LISBON, None, [busy(at(0, 9), at(0, 12))])
    monday = sorted(monday_starts(scheduling.propose_slots(request([person(), guest]))))
    assert monday[0] == "12:00" and monday[-1] == "17:00"


def test_working_periods_computed_elsewhere_replace_the_weekly_table():
    # As Odoo's resource.calendar gives them: a Monday morning, a Tuesday afternoon.
    periods = [(at(0, 9), at(0, 12)), (at(1, 14), at(1, 18)), (at(1, 18), at(1, 19))]
    ana = scheduling.Attendee("Ana", SAO_PAULO, None, working_periods=periods)
    assert ana.has_working_time_limit
    assert ana.working_periods == ((at(0, 9), at(0, 12)), (at(1, 14), at(1, 19)))
    slots = scheduling.propose_slots(request([ana]))
    assert sorted({(day, hhmm) for day, hhmm in starts(slots) if hhmm.endswith(":00")}) == [
        (0, "09:00"),
        (0, "10:00"),
        (0, "11:00"),
        (1, "14:00"),
        (1, "15:00"),
        (1, "16:00"),
        (1, "17:00"),
        (1, "18:00"),
    ]
    (found,) = scheduling.conflicts(scheduling.Slot(at(0, 11, 30), at(0, 12, 30)), [ana])
    assert found.kind == scheduling.CONFLICT_OFF_HOURS
    # no periods at all (a fortnight of time off) is a limit too, not the absence of one
    away = scheduling.Attendee("Away", SAO_PAULO, None, working_periods=())
    assert away.has_working_time_limit
    assert scheduling.propose_slots(request([away])) == []
    assert not scheduling.Attendee("Guest", LISBON, None).has_working_time_limit


# ---------------------------------------------------------------------------
# ranking


def test_max_results_and_ranking_order():
    everything = scheduling.propose_slots(request())
    top = scheduling.propose_slots(request(max_results=3))
    assert len(everything) == 5 * 33  # 09:00 to 17:00 every 15 min, five days
    assert top == everything[:3]
    scores = [slot.score for slot in everything]
    assert scores == sorted(scores, reverse=True)


def test_ties_are_broken_by_earlier_start():
    # past the 3-day urgent horizon earliness is worth nothing, so later days tie
    slots = scheduling.propose_slots(request(urgency="urgent", window_end=at(14, 0)))
    ties = [(a, b) for a, b in zip(slots, slots[1:], strict=False) if a.score == b.score]
    assert len(ties) > 20
    assert all(a.start < b.start for a, b in ties)
    at_nine = [slot for slot in slots if starts([slot])[0] in {(d, "09:00") for d in range(3, 14)}]
    assert [day for day, _ in starts(at_nine)] == [3, 4, 7, 8, 9, 10, 11]  # weekdays, in order
    assert len({slot.score for slot in at_nine}) == 1


def test_high_urgency_prefers_sooner_slots_low_urgency_the_preferred_time():
    preferred = at(4, 10)  # Friday 10:00
    high = scheduling.propose_slots(request(preferred_times=[preferred], urgency="high"))
    assert starts(high)[0] == (0, "09:00")
    assert {day for day, _ in starts(high[:5])} == {0}
    low = scheduling.propose_slots(request(preferred_times=[preferred], urgency="low"))
    assert low[0].start == preferred
    assert {day for day, _ in starts(low[:5])} == {4}
    # earliness weighs more when it is urgent
    by_start = {slot.start: slot for slot in high}
    assert by_start[preferred].components["earliness"] < high[0].components["earliness"]


def test_urgency_accepts_enum_members_and_strings():
    assert request(urgency="urgent").urgency is scheduling.Urgency.URGENT
    assert request(urgency=scheduling.Urgency.LOW).urgency is scheduling.Urgency.LOW


def test_preferred_time_proximity():
    preferred = at(2, 14)  # Wednesday 14:00
    free = scheduling.propose_slots(request(preferred_times=[preferred], urgency="low"))
    assert free[0].start == preferred
    # the preference component falls with the distance to the preferred time
    ordered = sorted(free, key=lambda slot: abs(slot.start - preferred))
    points = [slot.components["preference"] for slot in ordered]
    assert points == sorted(points, reverse=True) and points[0] > points[-1] == 0

    taken = person(busy=[busy(at(2, 13, 30), at(2, 15))])
    around = scheduling.propose_slots(
        request([taken], preferred_times=[preferred], urgency="low", max_results=2)
    )
    assert [hhmm for _, hhmm in starts(around)] == ["15:00", "12:30"]


def test_daily_preferred_time_of_day():
    slots = scheduling.propose_slots(request(preferred_times=[dt.time(16)]))
    assert starts(slots)[0] == (0, "16:00")
    # the nearest slot each day beats the others of that day
    for day in range(5):
        best = next(slot for slot in slots if starts([slot])[0][0] == day)
        assert starts([best])[0][1] == "16:00"


def test_part_of_day_preference():
    afternoon = scheduling.propose_slots(request(part_of_day="afternoon", max_results=8))
    assert all(12 <= int(hhmm[:2]) < 18 for _, hhmm in starts(afternoon))
    morning = scheduling.propose_slots(request(part_of_day="morning", max_results=8))
    assert all(int(hhmm[:2]) < 12 for _, hhmm in starts(morning))
    # without any preference the default favours mid-morning
    default = scheduling.propose_slots(request(max_results=8))
    assert all(9 <= int(hhmm[:2]) <= 11 for _, hhmm in starts(default))


def test_compactness_avoids_stranding_short_gaps():
    ana = person(busy=[busy(at(0, 9), at(0, 10))])
    by_start = {slot.start: slot for slot in scheduling.propose_slots(request([ana]))}
    flush = by_start[at(0, 10)].components["compactness"]
    stranding = by_start[at(0, 10, 15)].components["compactness"]  # 15 min left after 10:00
    roomy = by_start[at(0, 10, 30)].components["compactness"]  # 30 min is still usable
    assert flush == roomy > stranding
    assert "1 gap(s) shorter than 30 min" in by_start[at(0, 10, 15)].reasons["compactness"]


# ---------------------------------------------------------------------------
# explanations


def test_components_explain_and_sum_to_the_score():
    req = request(preferred_times=[at(1, 10)], part_of_day="morning", buffer_minutes=10)
    slots = scheduling.propose_slots(req)
    assert set(slots[0].components) == {"preference", "time_of_day", "earliness", "compactness"}
    for slot in slots:
        assert 0 <= slot.score <= 100
        assert sum(slot.components.values()) == pytest.approx(slot.score, abs=1e-9)
        assert slot.reasons.keys() == slot.components.keys()
        assert all(text.strip() for text in slot.reasons.values())
    assert "from the nearest preferred time" in slots[0].reasons["preference"]


def test_a_perfect_slot_scores_100_and_unused_components_are_left_out():
    slots = scheduling.propose_slots(request())  # no preference: earliest 09:00 is ideal
    assert starts(slots)[0] == (0, "09:00")
    assert slots[0].score == 100.0
    assert "preference" not in slots[0].components


# ---------------------------------------------------------------------------
# conflicts and check_slot


def test_conflicts_name_the_blocking_attendee_and_interval():
    meeting = busy(at(0, 10), at(0, 11), "Demo Acme")
    ana, bruno = person(busy=[meeting]), person("Bruno")
    slot = scheduling.Slot(at(0, 10, 30), at(0, 11, 30))
    (found,) = scheduling.conflicts(slot, [ana, bruno])
    assert found.attendee is ana and found.interval is meeting
    assert found.kind == scheduling.CONFLICT_BUSY
    assert "Ana is busy" in found.message and "Demo Acme" in found.message

    after = scheduling.Slot(at(0, 11), at(0, 12))
    assert scheduling.conflicts(after, [ana, bruno]) == []
    (buffered,) = scheduling.conflicts(after, [ana, bruno], buffer_minutes=15)
    assert buffered.interval is meeting and "15 min between meetings" in buffered.message


def test_conflicts_report_working_hours_in_the_attendees_timezone():
    ana, rui = person("Ana", SAO_PAULO), person("Rui", LISBON)
    slot = scheduling.Slot(at(0, 9), at(0, 10))  # 12:00 UTC: fine in both
    assert scheduling.conflicts(slot, [ana, rui]) == []
    evening = scheduling.Slot(at(0, 16), at(0, 17))  # 19:00 UTC: after hours in Lisbon
    (found,) = scheduling.conflicts(evening, [ana, rui])
    assert found.attendee is rui and found.kind == scheduling.CONFLICT_OFF_HOURS
    assert found.interval is None and "Rui's working hours" in found.message


def test_check_slot_accepts_a_free_slot_and_scores_it_like_a_proposal():
    req = request(
        [person(busy=[busy(at(1, 10), at(1, 11))]), person("Rui", LISBON)],
        preferred_times=[at(1, 9)],
        buffer_minutes=15,
        now=at(0, 10, 5),
    )
    proposals = scheduling.propose_slots(req)
    assert proposals
    for slot in proposals:
        check = scheduling.check_slot(req, slot.start)
        assert check.ok and check.problems == () and check.conflicts == ()
        assert check.slot == slot and check.slot.components == slot.components
        assert check.slot.score == slot.score


def test_check_slot_explains_why_a_slot_cannot_be_booked():
    meeting = busy(at(1, 10), at(1, 11), "Demo")
    req = request([person(busy=[meeting])], now=at(0, 12))
    past = scheduling.check_slot(req, at(0, 10))
    assert not past.ok and "in the past" in past.problems[0]
    outside = scheduling.check_slot(req, at(7, 10))
    assert not outside.ok and any("search window" in p for p in outside.problems)
    clash = scheduling.check_slot(req, at(1, 10, 30))
    assert not clash.ok and clash.conflicts[0].interval is meeting
    assert clash.slot.score == 0.0 and clash.slot.components == {}
    longer = scheduling.check_slot(req, at(1, 11), at(1, 13))
    assert longer.ok and longer.slot.end == at(1, 13)


# ---------------------------------------------------------------------------
# bad input


def _naive(moment):
    return moment.replace(tzinfo=None)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: request(window_start=_naive(at(0, 0))), id="naive-window-start"),
        pytest.param(lambda: request(window_end=_naive(at(5, 0))), id="naive-window-end"),
        pytest.param(lambda: request(now=_naive(at(0, 0))), id="naive-now"),
        pytest.param(lambda: busy(_naive(at(0, 9)), at(0, 10)), id="naive-busy"),
        pytest.param(lambda: request(preferred_times=[_naive(at(1, 9))]), id="naive-preferred"),
        pytest.param(
            lambda: request(preferred_times=[dt.time(9, tzinfo=UTC)]), id="aware-time-of-day"
        ),
        pytest.param(lambda: request(duration_minutes=0), id="zero-duration"),
        pytest.param(lambda: request(duration_minutes=-30), id="negative-duration"),
        pytest.param(lambda: request(duration_minutes=True), id="bool-duration"),
        pytest.param(lambda: request(window_end=at(-1, 0)), id="window-end-before-start"),
        pytest.param(lambda: request(window_end=at(0, 0)), id="empty-window"),
        pytest.param(lambda: request(window_end=at(120, 0)), id="window-too-long"),
        pytest.param(
            lambda: request(window_end=at(30, 0), step_minutes=1), id="too-many-grid-steps"
        ),
        pytest.param(lambda: person(tz="Mars/Olympus"), id="unknown-timezone"),
        pytest.param(lambda: person(tz="../etc/passwd"), id="bad-timezone-key"),
        pytest.param(lambda: request(timezone="Nowhere/City"), id="unknown-request-timezone"),
        pytest.param(lambda: request(urgency="asap"), id="unknown-urgency"),
        pytest.param(lambda: request(part_of_day="evening"), id="unknown-part-of-day"),
        pytest.param(lambda: request(max_results=0), id="no-results"),
        pytest.param(lambda: request(step_minutes=0), id="zero-step"),
        pytest.param(lambda: request(buffer_minutes=-5), id="negative-buffer"),
        pytest.param(lambda: busy(at(0, 10), at(0, 9)), id="busy-ends-before-start"),
        pytest.param(lambda: person(hours={0: [(dt.time(18), dt.time(9))]}), id="period-reversed"),
        pytest.param(lambda: person(hours={7: [(dt.time(9), dt.time(18))]}), id="bad-weekday"),
        pytest.param(lambda: person(hours={0: [dt.time(9)]}), id="period-not-a-pair"),
        pytest.param(
            lambda: scheduling.Attendee("A", "UTC", {}, (), ()),
            id="hours-and-periods",
        ),
        pytest.param(
            lambda: scheduling.Attendee("A", "UTC", None, working_periods=[(at(0, 9),)]),
            id="period-pair-incomplete",
        ),
        pytest.param(
            lambda: scheduling.Attendee(
                "A", "UTC", None, working_periods=[(_naive(at(0, 9)), at(0, 10))]
            ),
            id="naive-period",
        ),
        pytest.param(
            lambda: scheduling.Attendee("A", "UTC", None, working_periods=[(at(0, 9), at(0, 9))]),
            id="empty-period",
        ),
        pytest.param(
            lambda: scheduling.Attendee("A", "UTC", None, working_periods=5), id="periods-not-pairs"
        ),
        pytest.param(lambda: scheduling.Slot(at(0, 10), at(0, 10)), id="empty-slot"),
        pytest.param(lambda: scheduling.check_slot(request(), _naive(at(0, 10))), id="naive-pick"),
        pytest.param(
            lambda: scheduling.conflicts(scheduling.Slot(at(0, 9), at(0, 10)), [], -1),
            id="conflicts-negative-buffer",
        ),
    ],
)
def test_bad_input_raises_invalid_request(build):
    with pytest.raises(InvalidRequest):
        build()


def test_no_attendee_is_refused():
    # request() substitutes a default attendee for a falsy list, so build directly
    with pytest.raises(InvalidRequest, match="at least one attendee"):
        scheduling.SchedulingRequest([], 30, at(0, 0), at(1, 0), at(0, 0))


def test_values_are_frozen_and_normalised():
    ana = person()
    assert ana.working_hours[5] == () and ana.working_hours[0] == ((dt.time(9), dt.time(18)),)
    assert dataclasses.replace(ana, name="Ana B").working_hours == ana.working_hours
    with pytest.raises(dataclasses.FrozenInstanceError):
        ana.name = "Bruno"
    assert hash(request()) == hash(request())


# ---------------------------------------------------------------------------
# performance


def test_five_attendees_over_two_weeks_in_15_minute_steps_is_fast():
    rng = random.Random(7)
    zones = [SAO_PAULO, LISBON, "America/New_York", SAO_PAULO, "UTC"]
    always = {day: [(dt.time(0), dt.time(0))] for day in range(7)}
    attendees = []
    for index, tz in enumerate(zones):
        events = []
        for _ in range(60):
            start = at(0, 0) + dt.timedelta(minutes=15 * rng.randrange(14 * 96))
            events.append(busy(start, start + dt.timedelta(minutes=rng.choice([30, 60, 90]))))
        attendees.append(scheduling.Attendee("P%d" % index, tz, always, events))
    req = request(
        attendees,
        duration_minutes=30,
        window_end=at(14, 0),
        buffer_minutes=10,
        preferred_times=[at(3, 10), dt.time(15)],
        part_of_day="afternoon",
        urgency="high",
        max_results=10,
    )
    began = time.perf_counter()
    slots = scheduling.propose_slots(req)
    elapsed = time.perf_counter() - began
    assert len(slots) == 10
    # Guards against a search that explodes with the attendees, not a benchmark:
    # a few milliseconds on an idle machine.
    assert elapsed < 5, "took %.3f s" % elapsed
