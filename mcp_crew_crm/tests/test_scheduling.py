"""Meeting slots from Odoo calendars and working hours; booking with a last check."""

import datetime as dt

from odoo.exceptions import MissingError, UserError, ValidationError
from odoo.tests import tagged

from .common import LISBON, SAO_PAULO, CrmCase, at, iso, utc_naive


def hours(start, end, step=15):
    """ "HH:MM" from ``start`` to ``end`` (included) every ``step`` minutes."""
    moment, last = dt.datetime(2000, 1, 1, *start), dt.datetime(2000, 1, 1, *end)
    result = []
    while moment <= last:
        result.append(moment.strftime("%H:%M"))
        moment += dt.timedelta(minutes=step)
    return result


@tagged("post_install", "-at_install", "mcp_crew_crm")
class TestScheduling(CrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = cls.sales_a
        cls.give_calendar(
            cls.alice, cls.working_calendar("SP office", SAO_PAULO, 9, 18, lunch=(12, 13))
        )
        cls.bob = cls.user("crm_bob", cls.company_a, name="Bob Lisboa", tz=LISBON)
        cls.give_calendar(cls.bob, cls.working_calendar("Lisbon office", LISBON, 9, 17))
        cls.carla = cls.env["res.partner"].create({"name": "Carla Cliente", "tz": SAO_PAULO})

    def propose(self, user=None, **arguments):
        values = {
            "duration_minutes": 60,
            "window_start": iso(0, 0),
            "window_end": iso(1, 0),
            "max_results": 500,
        }
        values.update(arguments)
        return self.env["mcp.crm.scheduling"].with_user(user or self.alice).propose(**values)

    def book(self, **arguments):
        values = {"title": "Demo", "user_ids": [self.alice.id]}
        values.update(arguments)
        return self.env["mcp.crm.scheduling"].with_user(self.alice).book(**values)

    def starts(self, result, day=0):
        """Slot starts on day ``day`` after MONDAY, "HH:MM" on the organiser's (SP) clock."""
        found = []
        for slot in result["slots"]:
            local = dt.datetime.fromisoformat(slot["local_start"])
            if (local.date() - at(0, 0).date()).days == day:
                found.append(local.strftime("%H:%M"))
        return sorted(found)

    def test_working_hours_come_from_the_users_resource_calendar(self):
        result = self.propose(user_ids=[self.alice.id])
        self.assertEqual(self.starts(result), hours((9, 0), (11, 0)) + hours((13, 0), (17, 0)))
        self.assertEqual(result["timezone"], SAO_PAULO)
        self.assertEqual(
            result["attendees"],
            [
                {
                    "partner_id": self.alice.partner_id.id,
                    "user_id": self.alice.id,
                    "name": "Alice Sales",
                    "timezone": SAO_PAULO,
                    "working_hours": True,
                    "busy_intervals": 0,
                }
            ],
        )
        slot = result["slots"][0]
        self.assertEqual(round(sum(slot["components"].values()), 2), slot["score"])
        self.assertEqual(set(slot["reasons"]), set(slot["components"]))

    def test_each_user_works_in_their_own_timezone(self):
        # Lisbon 09:00-17:00 is 06:00-14:00 in São Paulo in January.
        result = self.propose(user_ids=[self.alice.id, self.bob.id])
        self.assertEqual(self.starts(result), hours((9, 0), (11, 0)) + ["13:00"])

    def test_busy_events_are_avoided_with_their_buffers(self):
        alice = self.alice.partner_id
        self.event("Board meeting", at(0, 10), at(0, 11), alice)
        declined = self.event("Declined call", at(0, 14), at(0, 15), alice)
        declined.attendee_ids.filtered(lambda a: a.partner_id == alice).do_decline()
        self.event("Focus time", at(0, 15), at(0, 16), alice, show_as="free")
        self.event("Bob's call", at(0, 16), at(0, 17), self.bob.partner_id)

        plain = self.starts(self.propose(user_ids=[self.alice.id], duration_minutes=30))
        for free in ("09:30", "11:00", "14:00", "15:00", "16:00"):
            self.assertIn(free, plain)
        for busy in ("09:45", "10:00", "10:45"):
            self.assertNotIn(busy, plain)

        buffered = self.starts(
            self.propose(user_ids=[self.alice.id], duration_minutes=30, buffer_minutes=15)
        )
        self.assertIn("09:15", buffered)
        self.assertIn("11:15", buffered)
        self.assertNotIn("09:30", buffered)
        self.assertNotIn("11:00", buffered)

    def test_external_contacts_bring_busy_times_but_no_working_hours(self):
        self.event("Carla's dentist", at(0, 15), at(0, 16), self.carla)
        together = self.starts(self.propose(user_ids=[self.alice.id], partner_ids=[self.carla.id]))
        self.assertIn("14:00", together)
        self.assertNotIn("14:15", together)
        self.assertNotIn("15:00", together)
        self.assertIn("16:00", together)
        saturday = self.propose(
            partner_ids=[self.carla.id], window_start=iso(5, 0), window_end=iso(6, 0)
        )
        self.assertIn("20:00", self.starts(saturday, day=5))
        summary = saturday["attendees"][0]
        self.assertEqual((summary["user_id"], summary["working_hours"]), (None, False))
        # a contact that is a user's partner counts as that user
        as_partner = self.propose(partner_ids=[self.alice.partner_id.id])
        self.assertEqual(as_partner["attendees"][0]["user_id"], self.alice.id)
        self.assertNotIn("12:00", self.starts(as_partner))

    def test_public_holidays_of_the_calendar_are_busy(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Carnaval",
                "calendar_id": self.alice.resource_calendar_id.id,
                "date_from": utc_naive(at(1, 0)),
                "date_to": utc_naive(at(2, 0)),
            }
        )
        result = self.propose(user_ids=[self.alice.id], window_end=iso(3, 0))
        self.assertTrue(self.starts(result, day=0))
        self.assertFalse(self.starts(result, day=1))
        self.assertTrue(self.starts(result, day=2))

    def calendar_user(self, login, attendances, **calendar_values):
        """A São Paulo user whose resource works ``attendances`` (dicts of
        ``resource.calendar.attendance`` values)."""
        calendar = self.env["resource.calendar"].create(
            dict(
                {
                    "name": "%s calendar" % login,
                    "tz": SAO_PAULO,
                    "attendance_ids": [
                        (0, 0, dict({"name": "%s %d" % (login, index)}, **values))
                        for index, values in enumerate(attendances)
                    ],
                },
                **calendar_values,
            )
        )
        user = self.user(login, self.company_a, name=login.title(), tz=SAO_PAULO)
        self.give_calendar(user, calendar)
        return user

    def test_two_week_calendars_follow_each_weeks_own_hours(self):
        # Bug fixed with resource.calendar: the week type of the window's start was
        # used for all its days, so the second week got the first week's hours.
        Attendance = self.env["resource.calendar.attendance"]
        this_week = Attendance.get_week_type(at(0, 0).date())
        next_week = 1 - this_week
        monday = {"dayofweek": "0"}
        user = self.calendar_user(
            "fortnight",
            [
                dict(monday, hour_from=9, hour_to=12, week_type=str(this_week)),
                dict(monday, hour_from=14, hour_to=18, week_type=str(next_week)),
            ],
            two_weeks_calendar=True,
        )
        result = self.propose(user=user, user_ids=[user.id], window_end=iso(8, 0))
        self.assertEqual(self.starts(result, day=0), hours((9, 0), (11, 0)))
        self.assertEqual(self.starts(result, day=7), hours((14, 0), (17, 0)))
        self.assertFalse([day for day in range(1, 7) if self.starts(result, day=day)])

    def test_dated_attendances_count_only_on_their_own_dates(self):
        # Bug fixed with resource.calendar: an attendance's dates were compared with
        # the whole window, so one ending on Wednesday still counted on Thursday.
        until_wednesday = at(2, 0).date()
        from_thursday = at(3, 0).date()
        user = self.calendar_user(
            "dated",
            [
                {"dayofweek": str(day), "hour_from": 9, "hour_to": 18, "date_to": until_wednesday}
                for day in range(5)
            ]
            + [
                {"dayofweek": str(day), "hour_from": 13, "hour_to": 18, "date_from": from_thursday}
                for day in range(5)
            ],
        )
        result = self.propose(user=user, user_ids=[user.id], window_end=iso(5, 0))
        for day in (0, 1, 2):
            self.assertEqual(self.starts(result, day=day), hours((9, 0), (17, 0)))
        for day in (3, 4):
            self.assertEqual(self.starts(result, day=day), hours((13, 0), (17, 0)))

    def test_the_users_own_leaves_are_not_working_time(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Dentist",
                "calendar_id": self.alice.resource_calendar_id.id,
                "resource_id": self.alice.resource_ids.id,
                "date_from": utc_naive(at(0, 9)),
                "date_to": utc_naive(at(0, 11)),
            }
        )
        self.assertEqual(
            self.starts(self.propose(user_ids=[self.alice.id])), ["11:00"] + hours((13, 0), (17, 0))
        )
        # Bob's calendar and leaves are his: Alice's dentist does not touch them
        # (Lisbon 09:00 is 06:00 on Alice's clock).
        self.assertIn("06:00", self.starts(self.propose(user_ids=[self.bob.id])))
        with self.assertRaisesRegex(UserError, "outside Alice Sales's working hours"):
            self.book(start=iso(0, 9, 30), end=iso(0, 10))

    def test_urgency_trades_the_preferred_time_for_an_earlier_one(self):
        def best(urgency):
            result = self.propose(
                user_ids=[self.alice.id],
                window_end=iso(5, 0),
                preferred_times=[iso(3, 10)],
                urgency=urgency,
                max_results=1,
            )
            return dt.datetime.fromisoformat(result["slots"][0]["local_start"])

        self.assertEqual(best("low"), at(3, 10))
        self.assertEqual(best("urgent"), at(0, 9))
        # a daily time of day works as well
        result = self.propose(user_ids=[self.alice.id], preferred_times=["15:00"], max_results=1)
        self.assertEqual(self.starts(result), ["15:00"])

    def test_booking_creates_the_event_for_the_lead(self):
        lead = self.env["crm.lead"].with_user(self.alice).create({"name": "Big deal"})
        result = self.book(
            title="Discovery call",
            start=iso(0, 10),
            end=iso(0, 11),
            partner_ids=[self.carla.id],
            lead_id=lead.id,
        )
        event = self.env["calendar.event"].browse(result["event_id"])
        self.assertEqual(event.name, "Discovery call")
        self.assertEqual((event.start, event.stop), (utc_naive(at(0, 10)), utc_naive(at(0, 11))))
        self.assertEqual(event.partner_ids, self.alice.partner_id | self.carla)
        self.assertEqual(event.opportunity_id, lead)
        self.assertEqual(event.user_id, self.alice)
        self.assertEqual(result["opportunity_id"], lead.id)
        # the new meeting is busy time from now on
        self.assertNotIn("10:00", self.starts(self.propose(user_ids=[self.alice.id])))
        # duration instead of an end; naive times are the organiser's
        other = self.book(start=(at(0, 14).replace(tzinfo=None)).isoformat(), duration_minutes=30)
        self.assertEqual(other["end"], at(0, 14, 30).astimezone(dt.timezone.utc).isoformat())

    def test_a_conflicting_booking_is_refused_with_the_conflict_named(self):
        self.event("Board meeting", at(0, 10), at(0, 11), self.alice.partner_id)
        events = self.env["calendar.event"].search_count([])
        cases = [
            (
                {"start": iso(0, 10, 30), "end": iso(0, 11, 30)},
                "Alice Sales is busy .*Board meeting",
            ),
            ({"start": iso(0, 12), "end": iso(0, 12, 30)}, "outside Alice Sales's working hours"),
            (
                {"start": iso(0, 11), "end": iso(0, 11, 30), "buffer_minutes": 15},
                "needs 15 min between meetings",
            ),
            (
                {"start": iso(0, 9), "end": iso(0, 9, 30), "now": at(0, 9, 5)},
                "starts in the past",
            ),
        ]
        for arguments, message in cases:
            with self.subTest(arguments=arguments):
                with self.assertRaisesRegex(UserError, message):
                    self.book(**arguments)
        self.assertEqual(self.env["calendar.event"].search_count([]), events)

    def test_private_events_of_others_block_without_showing_their_name(self):
        self.event(
            "Medical appointment", at(0, 10), at(0, 11), self.bob.partner_id, privacy="private"
        )
        with self.assertRaises(UserError) as caught:
            self.book(user_ids=[self.bob.id], start=iso(0, 10), end=iso(0, 10, 30))
        self.assertIn("Bob Lisboa is busy", str(caught.exception))
        self.assertIn("Busy", str(caught.exception))
        self.assertNotIn("Medical", str(caught.exception))

    def test_bad_arguments_are_explained(self):
        cases = [
            ({"user_ids": []}, ValidationError, "needs attendees"),
            (
                {"user_ids": [self.alice.id], "window_start": "next monday"},
                ValidationError,
                "ISO 8601",
            ),
            ({"user_ids": [self.alice.id], "urgency": "asap"}, ValidationError, "unknown urgency"),
            ({"user_ids": [self.alice.id], "duration_minutes": 0}, ValidationError, "at least 1"),
            ({"partner_ids": [987654321]}, MissingError, "987654321"),
        ]
        for arguments, error, message in cases:
            with self.subTest(arguments=arguments):
                with self.assertRaisesRegex(error, message):
                    self.propose(**arguments)
        with self.assertRaisesRegex(ValidationError, "end after it starts"):
            self.book(start=iso(0, 10), end=iso(0, 9))
