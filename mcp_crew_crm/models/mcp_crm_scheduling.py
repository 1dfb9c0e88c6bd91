"""Meeting scheduling on Odoo calendars: the scheduling engine fed with
calendar events and working hours, run as the current user.

The engine (``mcp_crew_crm.services.scheduling``) finds, scores and
checks slots; this model reads what it needs and books the chosen one.
Attendees are internal users (``user_ids``) and contacts (``partner_ids``; a
contact who is an internal user counts as that user). For each of them:

* **busy**: their ``calendar.event`` shown as busy that they have not declined.
  Other people's private events are read like Odoo's calendar shows them: the
  times, with "Busy" for a name.
* **working time**: for users, the periods their resource calendar
  (``resource_calendar_id``, else their company's) says they work, computed by
  Odoo itself (``resource.calendar._work_intervals_batch``: two-week
  calendars, dated attendances, their resource's own attendances) minus the
  time off the current user may see (public holidays of the calendar, the
  user's own leaves), in the user's timezone, else the calendar's. External
  contacts have no working-time limit, only their busy times, in their own
  timezone or the organiser's. A user without any calendar has no limit either.

Times without a UTC offset are read in the current user's (the organiser's)
timezone, where preferred times of day and parts of day are read as well.
"""

import datetime as dt
import math
import re
from collections import defaultdict

import pytz

from odoo import Command, _, api, fields, models
from odoo.exceptions import MissingError, UserError, ValidationError

from odoo.addons.mcp_crew.error_mapping import engine_errors

from ..services import scheduling

UTC = dt.timezone.utc
ONE_DAY = dt.timedelta(days=1)
DEFAULT_WINDOW = dt.timedelta(days=14)
DEFAULT_DURATION = 60
# The engine measures the gaps a slot leaves at the window's edges: read a day more.
READ_MARGIN = ONE_DAY
_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")


class McpCrmScheduling(models.AbstractModel):
    _name = "mcp.crm.scheduling"
    _description = "MCP Crew CRM: meeting scheduling"

    @api.model
    def propose(
        self,
        user_ids=(),
        partner_ids=(),
        window_start=None,
        window_end=None,
        preferred_times=(),
        now=None,
        **options,
    ):
        """The best slots for the attendees, best first, each score explained.

        ``window_start`` defaults to now and ``window_end`` to two weeks later;
        ``preferred_times`` mixes ISO datetimes and times of day ("10:00");
        ``options`` go to the engine's request as they are: ``duration_minutes``,
        ``buffer_minutes``, ``urgency``, ``part_of_day``, ``max_results``,
        ``step_minutes``. ``now`` is for tests.
        """
        now = now or _now()
        zone = self._organiser_zone()
        start = _moment(window_start, zone, "window_start") if window_start else now
        end = _moment(window_end, zone, "window_end") if window_end else start + DEFAULT_WINDOW
        people = self._people(user_ids, partner_ids)
        attendees = self._attendees(people, start, end)
        preferred = [_preferred(value, zone) for value in preferred_times]
        request = self._request(
            attendees, start, end, now, zone, preferred_times=preferred, **options
        )
        with engine_errors():
            slots = scheduling.propose_slots(request)
        return {
            "timezone": zone.key,
            "window_start": _iso(start),
            "window_end": _iso(end),
            "attendees": [
                _attendee_summary(partner, user, attendee)
                for (partner, user), attendee in zip(people, attendees, strict=True)
            ],
            "slots": [_slot_values(slot, zone) for slot in slots],
        }

    @api.model
    def book(
        self,
        title,
        start,
        end=None,
        duration_minutes=None,
        user_ids=(),
        partner_ids=(),
        lead_id=None,
        buffer_minutes=0,
        description=None,
        now=None,
    ):
        """Create the ``calendar.event`` once the engine confirmed the slot is free.

        Refused (``UserError``) with every conflict spelled out when an attendee
        is busy, off work, or the slot is in the past.
        """
        now = now or _now()
        zone = self._organiser_zone()
        start_at = _moment(start, zone, "start")
        if end:
            end_at = _moment(end, zone, "end")
        else:
            end_at = start_at + dt.timedelta(minutes=duration_minutes or DEFAULT_DURATION)
        if end_at <= start_at:
            raise ValidationError(_("The meeting must end after it starts."))
        lead = self._lead(lead_id)
        people = self._people(user_ids, partner_ids)
        request = self._request(
            self._attendees(people, start_at, end_at),
            start_at,
            end_at,
            now,
            zone,
            duration_minutes=math.ceil((end_at - start_at) / dt.timedelta(minutes=1)),
            buffer_minutes=buffer_minutes,
        )
        with engine_errors():
            check = scheduling.check_slot(request, start_at, end_at)
        if not check.ok:
            raise UserError(_("The meeting was not booked: %s", "; ".join(check.problems)))
        event = self.env["calendar.event"].create(
            {
                "name": title,
                "start": _naive(start_at),
                "stop": _naive(end_at),
                "user_id": self.env.uid,
                "partner_ids": [Command.set([partner.id for partner, _user in people])],
                "opportunity_id": lead.id,
                "description": description,
            }
        )
        return {
            "event_id": event.id,
            "name": event.name,
            "start": _iso(start_at),
            "end": _iso(end_at),
            "local_start": start_at.astimezone(zone).isoformat(),
            "partner_ids": event.partner_ids.ids,
            "opportunity_id": lead.id or None,
            "score": check.slot.score,
        }

    # -- the request -------------------------------------------------------------

    @api.model
    def _organiser_zone(self):
        with engine_errors():
            return scheduling.zone(self.env.user.tz or "UTC")

    @api.model
    def _request(self, attendees, start, end, now, zone, **options):
        with engine_errors():
            return scheduling.SchedulingRequest(
                attendees=attendees,
                window_start=start,
                window_end=end,
                now=now,
                timezone=zone.key,
                **options,
            )

    @api.model
    def _lead(self, lead_id):
        lead = self.env["crm.lead"].browse(lead_id or [])
        if not lead:
            return lead
        if not lead.exists():
            raise MissingError(_("Lead %s does not exist.", lead_id))
        lead.check_access_rights("read")
        lead.check_access_rule("read")
        return lead

    @api.model
    def _people(self, user_ids, partner_ids):
        """(partner, internal user or empty) per attendee, users first, no repeats."""
        users = _existing(self.env["res.users"].browse(user_ids), _("Users"))
        partners = _existing(self.env["res.partner"].browse(partner_ids), _("Contacts"))
        people = {}
        for user in users:
            people.setdefault(user.partner_id, user)
        for partner in partners:
            people.setdefault(partner, partner.user_ids.filtered(lambda u: not u.share)[:1])
        if not people:
            raise ValidationError(_("A meeting needs attendees: give user_ids or partner_ids."))
        return list(people.items())

    # -- attendees: busy times and working hours ------------------------------------

    @api.model
    def _attendees(self, people, start, end):
        low, high = start - READ_MARGIN, end + READ_MARGIN
        partners = self.env["res.partner"].browse([partner.id for partner, _user in people])
        events = self._busy_events(partners, low, high)
        attendees = []
        for partner, user in people:
            if user:
                calendar = user.resource_calendar_id or user.company_id.resource_calendar_id
                timezone = user.tz or calendar.tz or "UTC"
                periods = None
                if calendar:
                    periods = _working_periods(calendar, user, low, high, timezone)
            else:
                timezone = partner.tz or self.env.user.tz or "UTC"
                periods = None
            with engine_errors():
                busy = tuple(_event_interval(event, timezone) for event in events[partner.id])
                attendees.append(
                    scheduling.Attendee(
                        partner.name or partner.display_name,
                        timezone,
                        None,
                        busy,
                        working_periods=periods,
                    )
                )
        return attendees

    @api.model
    def _busy_events(self, partners, low, high):
        """partner id -> their busy, not declined events overlapping [low, high]."""
        # read(), not attribute access: it hides the names of others' private events.
        events = self.env["calendar.event"].search_read(
            [
                ("partner_ids", "in", partners.ids),
                ("show_as", "=", "busy"),
                ("start", "<", _naive(high)),
                ("stop", ">", _naive(low)),
            ],
            ["name", "start", "stop", "allday", "start_date", "stop_date"],
        )
        by_id = {event["id"]: event for event in events}
        # Who attends comes from the attendees: read() empties partner_ids of others'
        # private events, and only attendees know who declined.
        attendances = self.env["calendar.attendee"].search(
            [
                ("event_id", "in", list(by_id)),
                ("partner_id", "in", partners.ids),
                ("state", "!=", "declined"),
            ]
        )
        by_partner = defaultdict(list)
        for attendance in attendances:
            by_partner[attendance.partner_id.id].append(by_id[attendance.event_id.id])
        return by_partner


# -- conversions ---------------------------------------------------------------------


def _now():
    return _aware(fields.Datetime.now())


def _aware(naive_utc):
    """Odoo stores datetimes as naive UTC."""
    return naive_utc.replace(tzinfo=UTC)


def _naive(moment):
    return moment.astimezone(UTC).replace(tzinfo=None)


def _iso(moment):
    return moment.astimezone(UTC).isoformat()


def _moment(value, zone, what):
    """An aware datetime from ISO 8601 text; without an offset it is in ``zone``."""
    text = value.strip() if isinstance(value, str) else ""
    if text[-1:] in ("Z", "z"):  # fromisoformat() of Python 3.10 does not read "Z"
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            _("%(what)s must be an ISO 8601 date and time, not %(value)s.", what=what, value=value)
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _preferred(value, zone):
    """A time of day ("10:00", every day) or a specific ISO datetime."""
    if isinstance(value, str) and _TIME_OF_DAY.match(value.strip()):
        return dt.time.fromisoformat(value.strip())
    return _moment(value, zone, "preferred_times")


def _working_periods(calendar, user, low, high, timezone):
    """When ``user`` works between ``low`` and ``high``, as ``resource.calendar`` says.

    Odoo's own computation, the one its planning and time off use: the
    attendances of each day's week type (two-week calendars) within their
    dates, those of the user's resource, minus the time off of the calendar
    and of that resource the current user can read, in ``timezone``.
    """
    # The user's resource (HR's employee, or one made by hand) brings its own
    # attendances and leaves; without one, the calendar's alone apply.
    resource = user.resource_ids[:1]
    intervals = calendar._work_intervals_batch(
        low, high, resources=resource, tz=pytz.timezone(timezone)
    )[resource.id]
    return [(_whole_day_end(start), _whole_day_end(stop)) for start, stop, _records in intervals]


def _whole_day_end(moment):
    """Odoo ends a day's attendance at 24:00 with ``time.max`` (23:59:59.999999):
    the engine needs the midnight it means, or 23:00-24:00 could not be booked."""
    if moment.time() == dt.time.max:
        moment += dt.timedelta(microseconds=1)
    return moment.astimezone(UTC)


def _event_interval(event, timezone):
    """A ``search_read`` event as a busy interval; all-day events take whole local days."""
    if event["allday"]:
        zone = scheduling.zone(timezone)
        start = dt.datetime.combine(event["start_date"], dt.time(), tzinfo=zone)
        end = dt.datetime.combine(event["stop_date"] + ONE_DAY, dt.time(), tzinfo=zone)
    else:
        start, end = _aware(event["start"]), _aware(event["stop"])
    return scheduling.BusyInterval(start, end, event["name"] or "")


def _existing(records, what):
    found = records.exists()
    missing = sorted(set(records.ids) - set(found.ids))
    if missing:
        raise MissingError(
            _("%(what)s %(ids)s do not exist.", what=what, ids=", ".join(map(str, missing)))
        )
    return found


def _slot_values(slot, zone):
    return {
        "start": _iso(slot.start),
        "end": _iso(slot.end),
        "local_start": slot.start.astimezone(zone).isoformat(),
        "local_end": slot.end.astimezone(zone).isoformat(),
        "score": slot.score,
        "components": dict(slot.components),
        "reasons": dict(slot.reasons),
    }


def _attendee_summary(partner, user, attendee):
    return {
        "partner_id": partner.id,
        "user_id": user.id or None,
        "name": attendee.name,
        "timezone": attendee.timezone,
        "working_hours": attendee.has_working_time_limit,
        "busy_intervals": len(attendee.busy),
    }
