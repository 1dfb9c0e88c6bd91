"""Meeting slot proposal: when can every attendee meet, and which time is best?

Pure logic on plain values.  The Odoo adapter reads each attendee's calendar
events (busy intervals) and the periods their resource calendar says they
work (Odoo's ``resource.calendar``, time off excluded), calls
:func:`propose_slots`, and books the chosen slot as a ``calendar.event`` after
:func:`check_slot` confirmed it is still free.

Feasibility.  A slot ``[start, start + duration)`` is proposed only if it lies
inside the search window, starts at or after ``now``, fits inside one working
period of every attendee (read in the attendee's own timezone, DST included)
and overlaps no busy interval widened by ``buffer_minutes`` on both sides.
Intervals are half-open, so with no buffer a meeting may start when another
ends.  Candidate starts lie on a ``step_minutes`` grid counted from midnight
on the organiser's wall clock, so proposals read 10:00, 10:15... locally.

Score (0-100).  Inspired by section 7.2 of the design notes (``_calculate_slot_score``:
preferred-time proximity up to 30 points, 25/20 points for mid-morning /
mid-afternoon, ``max(0, 20 - days_ahead * 2)`` for urgent meetings), but every
factor is a quality ``q`` in [0, 1] and the score is a weighted sum::

    score = sum(weight[c] * q[c] for c in active components)

The weights depend on urgency (table ``_BASE_WEIGHTS``); components that do not
apply to the request are dropped and the remaining weights rescaled to sum to
100, so a slot that is perfect on everything that was asked scores 100.

``preference`` (active when ``preferred_times`` is given)
    ``max(0, 1 - distance / horizon)`` for the nearest preferred time: 30 h for a
    preferred datetime (the seed's "30 points minus one per hour"), 6 h for a
    daily time of day such as 10:00 (distance on the organiser's clock).
``time_of_day`` (active with ``part_of_day``, or when no preferred time is given)
    With ``part_of_day``: 1 if the slot starts in that part (morning 06-12,
    afternoon 12-18 on the organiser's clock), else 0.  Without it, the seed's
    default guess: 1 for a start in 09:00-11:59, 0.8 in 14:00-16:59, else 0.
    An explicit preferred time replaces that guess instead of fighting it.
``earliness`` (always)
    ``max(0, 1 - days_ahead / horizon)`` where ``days_ahead`` is fractional and
    counted from the earliest feasible slot, and the horizon shrinks with
    urgency (low 20, normal 10, high 5, urgent 3 days).
``compactness`` (always)
    Share of the slot's edges (before and after, for each attendee) that leave
    either no gap or a gap of at least 30 min in that attendee's free time: a
    meeting that strands 15 minutes between two others wastes them.

Each component is rounded to 0.01 and the score is their sum, so the
components always add up to the score.  Slots are ranked by score, ties by
earlier start; everything is deterministic for a given ``now``.
"""

import bisect
import dataclasses
import datetime as dt
import enum
import functools
import zoneinfo
from collections.abc import Mapping

from . import core

UTC = dt.timezone.utc
MIDNIGHT = dt.time(0, 0)
ONE_DAY = dt.timedelta(days=1)
ZERO = dt.timedelta(0)
MINUTE = dt.timedelta(minutes=1)

# Bound the work a single (possibly LLM-built) request can ask for: about
# half a second at most, e.g. 92 days in 5-minute steps.
MAX_WINDOW = dt.timedelta(days=92)
MAX_GRID_STEPS = 30_000
# A free gap shorter than this is too short for another meeting.
MIN_USEFUL_GAP = dt.timedelta(minutes=30)
# Distance at which a preferred time stops earning points.
PREFERRED_DATETIME_HORIZON = dt.timedelta(hours=30)
PREFERRED_CLOCK_HORIZON = dt.timedelta(hours=6)

CONFLICT_BUSY = "busy"
CONFLICT_OFF_HOURS = "outside_working_hours"


class Urgency(str, enum.Enum):
    """How much sooner beats better."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class PartOfDay(str, enum.Enum):
    """A preferred part of the organiser's day."""

    MORNING = "morning"
    AFTERNOON = "afternoon"


# Start hours [from, to) of each part of day, on the organiser's clock.
_PART_HOURS = {PartOfDay.MORNING: (6, 12), PartOfDay.AFTERNOON: (12, 18)}

# Points per component before inactive components are dropped; rows sum to 100.
# Urgency moves points from "what was asked" to "as soon as possible".
_BASE_WEIGHTS = {
    Urgency.LOW: {"preference": 50, "time_of_day": 25, "earliness": 5, "compactness": 20},
    Urgency.NORMAL: {"preference": 35, "time_of_day": 25, "earliness": 25, "compactness": 15},
    Urgency.HIGH: {"preference": 20, "time_of_day": 15, "earliness": 55, "compactness": 10},
    Urgency.URGENT: {"preference": 10, "time_of_day": 10, "earliness": 75, "compactness": 5},
}
# Days after the earliest feasible slot at which earliness is worth nothing.
_EARLINESS_HORIZON_DAYS = {
    Urgency.LOW: 20,
    Urgency.NORMAL: 10,
    Urgency.HIGH: 5,
    Urgency.URGENT: 3,
}


# ---------------------------------------------------------------------------
# validation helpers


def _require(condition, message):
    if not condition:
        raise core.InvalidRequest(message)


def _require_aware(value, what):
    _require(isinstance(value, dt.datetime), "%s must be a datetime, got %r" % (what, value))
    _require(
        value.utcoffset() is not None,
        "%s must be timezone-aware (UTC or with a timezone), got %s" % (what, value),
    )


def _require_int(value, what, minimum):
    # bool is an int subclass, but True minutes is a bug, not a duration
    _require(
        isinstance(value, int) and not isinstance(value, bool),
        "%s must be an integer, got %r" % (what, value),
    )
    _require(value >= minimum, "%s must be at least %d, got %d" % (what, minimum, value))


def _coerce_enum(enum_cls, value, what):
    try:
        return enum_cls(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum_cls)
        raise core.InvalidRequest(
            "unknown %s %r; expected one of %s" % (what, value, choices)
        ) from None


@functools.cache
def zone(name):
    """The :class:`zoneinfo.ZoneInfo` called ``name``; :class:`InvalidRequest` if unknown."""
    _require(isinstance(name, str) and name, "timezone must be a name, got %r" % (name,))
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise core.InvalidRequest("unknown timezone %r" % name) from None


def _normalise_working_hours(working_hours):
    """A 7-tuple (index 0 = Monday) of sorted ``(start, end)`` pairs of local times.

    Accepts a mapping weekday -> pairs, or an already normalised 7-sequence
    (so :func:`dataclasses.replace` round-trips).  ``end`` 00:00 means midnight
    at the end of the day.
    """
    if isinstance(working_hours, Mapping):
        _require(
            all(isinstance(day, int) and 0 <= day <= 6 for day in working_hours),
            "working hours are keyed by weekday 0 (Monday) to 6 (Sunday), got %r"
            % sorted(working_hours, key=repr),
        )
        days = [working_hours.get(day, ()) for day in range(7)]
    else:
        _require(
            isinstance(working_hours, (list, tuple)) and len(working_hours) == 7,
            "working hours are a mapping weekday -> periods, got %r" % (working_hours,),
        )
        days = working_hours
    return tuple(tuple(sorted(_working_period(pair) for pair in periods)) for periods in days)


def _working_period(pair):
    try:
        start, end = pair
    except (TypeError, ValueError):
        raise core.InvalidRequest(
            "a working period is a (start, end) pair, got %r" % (pair,)
        ) from None
    for value in (start, end):
        _require(
            isinstance(value, dt.time) and value.tzinfo is None,
            "working hours are local times without tzinfo, got %r" % (value,),
        )
    _require(
        start < end or end == MIDNIGHT,
        "a working period must end after it starts, got %s-%s" % (start, end),
    )
    return start, end


def _normalise_working_periods(periods, name):
    try:
        pairs = [tuple(pair) for pair in periods]
    except TypeError:
        raise core.InvalidRequest(
            "working periods of %s are (start, end) pairs, got %r" % (name, periods)
        ) from None
    spans = []
    for pair in pairs:
        _require(len(pair) == 2, "a working period is a (start, end) pair, got %r" % (pair,))
        start, end = pair
        _require_aware(start, "working period start")
        _require_aware(end, "working period end")
        _require(end > start, "a working period must end after it starts, got %s-%s" % pair)
        spans.append((start.astimezone(UTC), end.astimezone(UTC)))
    return tuple(_merge(spans))


# ---------------------------------------------------------------------------
# public values


@dataclasses.dataclass(frozen=True)
class BusyInterval:
    """A time an attendee is taken (a calendar event); ``label`` only explains conflicts."""

    start: dt.datetime
    end: dt.datetime
    label: str = ""

    def __post_init__(self):
        _require_aware(self.start, "busy interval start")
        _require_aware(self.end, "busy interval end")
        _require(self.end >= self.start, "busy interval ends before it starts: %s" % (self,))


@dataclasses.dataclass(frozen=True)
class Attendee:
    """Someone who must attend, with their calendar.

    When they work is given one of two ways, or not at all:

    * ``working_hours``, a weekly table: a weekday (0 = Monday, as Odoo's
      ``dayofweek``) mapped to ``(start, end)`` local times in ``timezone``;
      days left out are days off.  It is stored as a 7-tuple.
    * ``working_periods``, the actual ``(start, end)`` aware datetimes worked,
      as a calendar system computes them (Odoo's ``resource.calendar``: week
      types, dated attendances and time off already applied).  They must cover
      the search window and a day on each side; stored merged, in UTC.

    Neither means no working-hours constraint (e.g. an external guest of whom
    only busy times are known).
    """

    name: str
    timezone: str
    working_hours: object
    busy: tuple = ()
    working_periods: tuple | None = None

    def __post_init__(self):
        _require(isinstance(self.name, str) and self.name, "an attendee needs a name")
        zone(self.timezone)
        if self.working_hours is not None:
            _require(
                self.working_periods is None,
                "give %s working hours or working periods, not both" % self.name,
            )
            hours = _normalise_working_hours(self.working_hours)
            object.__setattr__(self, "working_hours", hours)
        if self.working_periods is not None:
            periods = _normalise_working_periods(self.working_periods, self.name)
            object.__setattr__(self, "working_periods", periods)
        busy = tuple(self.busy)
        _require(
            all(isinstance(interval, BusyInterval) for interval in busy),
            "busy times of %s must be BusyInterval values" % self.name,
        )
        object.__setattr__(self, "busy", busy)

    @property
    def has_working_time_limit(self):
        """Whether slots must fall in working time (a table or periods were given)."""
        return self.working_hours is not None or self.working_periods is not None


@dataclasses.dataclass(frozen=True)
class SchedulingRequest:
    """What to schedule, among whom, and what makes a time good.

    ``preferred_times`` mixes aware datetimes (specific instants) and naive
    times of day (every day, on the organiser's clock).  The organiser's
    timezone is ``timezone``, by default the first attendee's.
    """

    attendees: tuple
    duration_minutes: int
    window_start: dt.datetime
    window_end: dt.datetime
    now: dt.datetime
    buffer_minutes: int = 0
    step_minutes: int = 15
    preferred_times: tuple = ()
    part_of_day: PartOfDay | None = None
    urgency: Urgency = Urgency.NORMAL
    max_results: int = 5
    timezone: str | None = None

    def __post_init__(self):
        attendees = tuple(self.attendees)
        _require(attendees, "a meeting needs at least one attendee")
        _require(
            all(isinstance(attendee, Attendee) for attendee in attendees),
            "attendees must be Attendee values",
        )
        object.__setattr__(self, "attendees", attendees)
        _require_int(self.duration_minutes, "duration_minutes", 1)
        _require_int(self.buffer_minutes, "buffer_minutes", 0)
        _require_int(self.step_minutes, "step_minutes", 1)
        _require_int(self.max_results, "max_results", 1)
        for name in ("window_start", "window_end", "now"):
            _require_aware(getattr(self, name), name)
        _require(
            self.window_end > self.window_start,
            "the window must end after it starts (%s >= %s)" % (self.window_start, self.window_end),
        )
        _require(
            self.window_end - self.window_start <= MAX_WINDOW,
            "the search window may span at most %d days" % MAX_WINDOW.days,
        )
        _require(
            (self.window_end - self.window_start) / dt.timedelta(minutes=self.step_minutes)
            <= MAX_GRID_STEPS,
            "at most %d slot starts per search: use a larger step or a shorter window"
            % MAX_GRID_STEPS,
        )
        object.__setattr__(self, "preferred_times", _preferred_times(self.preferred_times))
        if self.part_of_day is not None:
            part = _coerce_enum(PartOfDay, self.part_of_day, "part of day")
            object.__setattr__(self, "part_of_day", part)
        object.__setattr__(self, "urgency", _coerce_enum(Urgency, self.urgency, "urgency"))
        if self.timezone is not None:
            zone(self.timezone)

    @property
    def reference_timezone(self):
        """The organiser's timezone, in which times of day are read."""
        return zone(self.timezone or self.attendees[0].timezone)


def _preferred_times(values):
    values = tuple(values)
    for value in values:
        if isinstance(value, dt.datetime):
            _require_aware(value, "preferred time")
        else:
            _require(
                isinstance(value, dt.time) and value.tzinfo is None,
                "a preferred time is an aware datetime or a time of day without tzinfo, got %r"
                % (value,),
            )
    return values


@dataclasses.dataclass(frozen=True)
class Slot:
    """A meeting time; proposals also carry the score and its explanation.

    ``components`` maps each scoring component to its points (they sum to
    ``score``) and ``reasons`` explains each of them in words.  Two slots are
    equal when they cover the same time, whatever their scores.
    """

    start: dt.datetime
    end: dt.datetime
    score: float = dataclasses.field(default=0.0, compare=False)
    components: dict = dataclasses.field(default_factory=dict, compare=False)
    reasons: dict = dataclasses.field(default_factory=dict, compare=False)

    def __post_init__(self):
        _require_aware(self.start, "slot start")
        _require_aware(self.end, "slot end")
        _require(self.end > self.start, "a slot must end after it starts")


@dataclasses.dataclass(frozen=True)
class Conflict:
    """Why ``attendee`` cannot make a slot: a busy ``interval``, or working hours."""

    attendee: Attendee
    kind: str
    interval: BusyInterval | None
    message: str


@dataclasses.dataclass(frozen=True)
class SlotCheck:
    """The verdict on a user-chosen slot; ``slot`` is scored only when it is bookable."""

    slot: Slot
    problems: tuple
    conflicts: tuple

    @property
    def ok(self):
        return not self.problems


# ---------------------------------------------------------------------------
# interval arithmetic on sorted lists of (start, end) UTC datetimes


def _merge(spans):
    """Sorted, disjoint spans; overlapping or touching ones are joined, empty ones dropped."""
    merged = []
    for start, end in sorted(span for span in spans if span[1] > span[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(spans, holes):
    """``spans`` minus ``holes``, both sorted and disjoint."""
    result = []
    first = 0
    for start, end in spans:
        while first < len(holes) and holes[first][1] <= start:
            first += 1
        cursor = start
        # a hole may reach into the next span too, so ``first`` stays put
        for hole_start, hole_end in holes[first:]:
            if hole_start >= end:
                break
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def _intersect(left, right):
    """Spans covered by both sorted, disjoint lists."""
    result = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


def _overlaps(start, end, other_start, other_end):
    # false for empty spans, consistent with _merge dropping them
    return max(start, other_start) < min(end, other_end)


def _local_instant(day, clock, tz):
    return dt.datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _working_spans(attendee, lo, hi):
    """The attendee's working periods overlapping ``[lo, hi]``, in UTC, merged."""
    if attendee.working_periods is not None:
        return [(start, end) for start, end in attendee.working_periods if end > lo and start < hi]
    if attendee.working_hours is None:
        return [(lo, hi)]
    tz = zone(attendee.timezone)
    day, last = lo.astimezone(tz).date(), hi.astimezone(tz).date()
    spans = []
    while day <= last:
        for start, end in attendee.working_hours[day.weekday()]:
            end_day = day + ONE_DAY if end == MIDNIGHT else day
            spans.append((_local_instant(day, start, tz), _local_instant(end_day, end, tz)))
        day += ONE_DAY
    # adjacent periods (12:00-14:00, 14:00-18:00; 22:00-00:00, 00:00-06:00) form one
    return _merge(spans)


def _blocked_span(interval, buffer):
    return (interval.start - buffer).astimezone(UTC), (interval.end + buffer).astimezone(UTC)


def _free_spans(attendee, lo, hi, buffer):
    """When the attendee could meet within ``[lo, hi]``: working time minus buffered events."""
    blocked = _merge(_blocked_span(interval, buffer) for interval in attendee.busy)
    return _subtract(_working_spans(attendee, lo, hi), blocked)


def _align_up(moment, step, tz):
    """The first instant at or after ``moment`` on the ``step`` grid of ``tz``'s wall clock."""
    local = moment.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # same tzinfo on both sides: wall-clock arithmetic, so 10:00 stays 10:00 across DST
    steps = -(-(local - midnight) // step)
    aligned = (midnight + steps * step).astimezone(UTC)
    while aligned < moment:  # only when the wall-clock time fell into a DST gap
        aligned += step
    return aligned


# ---------------------------------------------------------------------------
# scoring


@dataclasses.dataclass(frozen=True)
class _Plan:
    """Everything computed once per request and shared by all candidate slots."""

    request: SchedulingRequest
    reference_tz: zoneinfo.ZoneInfo
    weights: dict
    free: tuple  # per attendee: (spans, span starts for bisect)
    candidates: tuple  # feasible grid starts, in time order
    earliest: dt.datetime  # where earliness counts from
    preferred_instants: tuple
    preferred_clocks: tuple  # minutes after midnight


def _weights(request):
    """Component -> points for this request, summing to exactly 100."""
    has_preference = bool(request.preferred_times)
    active = {
        "preference": has_preference,
        "time_of_day": request.part_of_day is not None or not has_preference,
        "earliness": True,
        "compactness": True,
    }
    base = _BASE_WEIGHTS[request.urgency]
    total = sum(base[name] for name, on in active.items() if on)
    weights = {name: round(100.0 * base[name] / total, 2) for name, on in active.items() if on}
    # rounding may miss 100 by a hundredth; the heaviest component absorbs it
    heaviest = max(weights, key=weights.get)
    weights[heaviest] = round(weights[heaviest] + 100.0 - sum(weights.values()), 2)
    return weights


def _plan(request):
    # a day of margin so gaps at the window's edges are measured against real events
    lo, hi = request.window_start - ONE_DAY, request.window_end + ONE_DAY
    buffer = dt.timedelta(minutes=request.buffer_minutes)
    free = []
    for attendee in request.attendees:
        spans = _free_spans(attendee, lo, hi, buffer)
        free.append((spans, [start for start, _ in spans]))
    reference_tz = request.reference_timezone
    bound = max(request.now, request.window_start).astimezone(UTC)
    candidates = tuple(_candidate_starts(request, reference_tz, free, bound))
    prefs = request.preferred_times
    return _Plan(
        request=request,
        reference_tz=reference_tz,
        weights=_weights(request),
        free=tuple(free),
        candidates=candidates,
        # the earliest feasible slot, so a perfect first slot can score 100
        earliest=candidates[0] if candidates else bound,
        preferred_instants=tuple(p.astimezone(UTC) for p in prefs if isinstance(p, dt.datetime)),
        preferred_clocks=tuple(
            p.hour * 60 + p.minute for p in prefs if not isinstance(p, dt.datetime)
        ),
    )


def _closeness(distance, horizon):
    # clamped above too: a checked off-grid slot may precede the first grid start
    return min(1.0, max(0.0, 1.0 - distance / horizon))


def _hours(delta):
    return delta.total_seconds() / 3600


def _preference_quality(plan, start, end):
    options = []
    if plan.preferred_instants:
        distance = min(abs(start - instant) for instant in plan.preferred_instants)
        options.append(
            (
                _closeness(distance, PREFERRED_DATETIME_HORIZON),
                "%.1f h from the nearest preferred time" % _hours(distance),
            )
        )
    if plan.preferred_clocks:
        local = start.astimezone(plan.reference_tz)
        minute = local.hour * 60 + local.minute
        # on a 24 h clock 23:00 is one hour from 00:00, not 23
        gap = min(min(abs(minute - c), 1440 - abs(minute - c)) for c in plan.preferred_clocks)
        distance = dt.timedelta(minutes=gap)
        options.append(
            (
                _closeness(distance, PREFERRED_CLOCK_HORIZON),
                "%.1f h from the preferred time of day" % _hours(distance),
            )
        )
    return max(options)


def _time_of_day_quality(plan, start, end):
    local = start.astimezone(plan.reference_tz)
    part = plan.request.part_of_day
    if part is not None:
        first, last = _PART_HOURS[part]
        if first <= local.hour < last:
            return 1.0, "starts in the %s, as preferred" % part.value
        return 0.0, "starts at %s, not in the preferred %s" % (local.strftime("%H:%M"), part.value)
    if 9 <= local.hour <= 11:
        return 1.0, "mid-morning start (best default time)"
    if 14 <= local.hour <= 16:
        return 0.8, "mid-afternoon start (good default time)"
    return 0.0, "starts at %s, outside 09:00-12:00 and 14:00-17:00" % local.strftime("%H:%M")


def _earliness_quality(plan, start, end):
    urgency = plan.request.urgency
    days_ahead = (start - plan.earliest) / ONE_DAY
    quality = _closeness(days_ahead, _EARLINESS_HORIZON_DAYS[urgency])
    return quality, "%.1f days after the earliest feasible slot (urgency %s)" % (
        days_ahead,
        urgency.value,
    )


def _compactness_quality(plan, start, end):
    short_gaps = 0
    for spans, starts in plan.free:
        span_start, span_end = spans[bisect.bisect_right(starts, start) - 1]
        for gap in (start - span_start, span_end - end):
            if ZERO < gap < MIN_USEFUL_GAP:
                short_gaps += 1
    minutes = MIN_USEFUL_GAP // MINUTE
    quality = 1.0 - short_gaps / (2 * len(plan.free))
    if short_gaps:
        return quality, "leaves %d gap(s) shorter than %d min" % (short_gaps, minutes)
    return quality, "leaves no gap shorter than %d min" % minutes


_QUALITIES = {
    "preference": _preference_quality,
    "time_of_day": _time_of_day_quality,
    "earliness": _earliness_quality,
    "compactness": _compactness_quality,
}


def _scored_slot(plan, start, end):
    components, reasons = {}, {}
    for name, weight in plan.weights.items():
        quality, why = _QUALITIES[name](plan, start, end)
        points = round(weight * quality, 2)
        components[name] = points
        reasons[name] = "%s: %.2f of %.2f points" % (why, points, weight)
    return Slot(start, end, round(sum(components.values()), 2), components, reasons)


def _candidate_starts(request, reference_tz, free, bound):
    """Grid starts where a meeting fits every attendee's free time, the window and ``now``
    (``bound`` is the later of the last two)."""
    common = functools.reduce(_intersect, (spans for spans, _ in free))
    bounds = [(bound, request.window_end.astimezone(UTC))]
    duration = dt.timedelta(minutes=request.duration_minutes)
    step = dt.timedelta(minutes=request.step_minutes)
    for span_start, span_end in _intersect(common, bounds):
        start = _align_up(span_start, step, reference_tz)
        while start + duration <= span_end:
            yield start
            start += step


def _rank_key(slot):
    return -slot.score, slot.start


# ---------------------------------------------------------------------------
# public functions


def propose_slots(request):
    """The ``request.max_results`` best feasible slots, best first (ties: earlier first).

    An empty list means no time in the window suits everyone; :func:`conflicts`
    tells why a particular time does not.
    """
    plan = _plan(request)
    duration = dt.timedelta(minutes=request.duration_minutes)
    slots = [_scored_slot(plan, start, start + duration) for start in plan.candidates]
    slots.sort(key=_rank_key)
    return slots[: request.max_results]


def conflicts(slot, attendees, buffer_minutes=0):
    """What keeps each attendee from ``slot``: busy intervals (widened by the buffer)
    overlapping it, and the slot falling outside their working hours.

    Returned in attendee order, busy intervals by start; empty when all can attend.
    """
    _require(isinstance(slot, Slot), "conflicts() needs a Slot, got %r" % (slot,))
    _require_int(buffer_minutes, "buffer_minutes", 0)
    buffer = dt.timedelta(minutes=buffer_minutes)
    found = []
    for attendee in attendees:
        found.extend(_busy_conflicts(slot, attendee, buffer))
        off_hours = _off_hours_conflict(slot, attendee)
        if off_hours:
            found.append(off_hours)
    return found


def _describe(moment, tz):
    return moment.astimezone(tz).strftime("%a %Y-%m-%d %H:%M")


def _busy_conflicts(slot, attendee, buffer):
    tz = zone(attendee.timezone)
    result = []
    for interval in sorted(attendee.busy, key=lambda interval: interval.start):
        if not _overlaps(slot.start, slot.end, *_blocked_span(interval, buffer)):
            continue
        message = "%s is busy from %s to %s (%s)" % (
            attendee.name,
            _describe(interval.start, tz),
            _describe(interval.end, tz),
            attendee.timezone,
        )
        if interval.label:
            message += ": %s" % interval.label
        if buffer and not _overlaps(slot.start, slot.end, interval.start, interval.end):
            message += " and needs %d min between meetings" % (buffer // MINUTE)
        result.append(Conflict(attendee, CONFLICT_BUSY, interval, message))
    return result


def _off_hours_conflict(slot, attendee):
    spans = _working_spans(attendee, slot.start - ONE_DAY, slot.end + ONE_DAY)
    if any(start <= slot.start and slot.end <= end for start, end in spans):
        return None
    tz = zone(attendee.timezone)
    message = "%s to %s is outside %s's working hours (%s)" % (
        _describe(slot.start, tz),
        slot.end.astimezone(tz).strftime("%H:%M"),
        attendee.name,
        attendee.timezone,
    )
    return Conflict(attendee, CONFLICT_OFF_HOURS, None, message)


def check_slot(request, start, end=None):
    """Whether a user-chosen slot can be booked for ``request``, before booking it.

    ``end`` defaults to ``start`` plus the request's duration.  The slot passes
    exactly when :func:`propose_slots` could have proposed it (step alignment
    and ``max_results`` aside); it is then scored like a proposal.
    """
    _require_aware(start, "slot start")
    if end is not None:
        _require_aware(end, "slot end")
    else:
        end = start + dt.timedelta(minutes=request.duration_minutes)
    slot = Slot(start.astimezone(UTC), end.astimezone(UTC))
    problems = []
    if slot.start < request.now:
        problems.append("the slot starts in the past (now is %s)" % request.now.isoformat())
    if slot.start < request.window_start or slot.end > request.window_end:
        problems.append("the slot is outside the search window")
    found = tuple(conflicts(slot, request.attendees, request.buffer_minutes))
    problems.extend(conflict.message for conflict in found)
    if not problems:
        slot = _scored_slot(_plan(request), slot.start, slot.end)
    return SlotCheck(slot, tuple(problems), found)
