"""Shared set-up: two companies, their sales users, working calendars and dates."""

import datetime as dt
import zoneinfo

from odoo.tests.common import TransactionCase, new_test_user

SAO_PAULO = "America/Sao_Paulo"
LISBON = "Europe/Lisbon"
# CRM users of the tests: leads, contacts and the MCP endpoint.
SALES_GROUPS = (
    "sales_team.group_sale_salesman_all_leads,base.group_partner_manager,"
    "mcp_crew.group_mcp_crew_user"
)
# Same, minus CRM.
NO_CRM_GROUPS = "base.group_user,base.group_partner_manager,mcp_crew.group_mcp_crew_user"


def next_january_monday():
    """A Monday of a coming January: in the future, no DST in São Paulo or Lisbon."""
    day = dt.date(dt.date.today().year + 1, 1, 8)
    return day + dt.timedelta(days=-day.weekday() % 7)


MONDAY = next_january_monday()


def at(day, hour, minute=0, tz=SAO_PAULO):
    """Aware datetime ``day`` days after MONDAY at ``hour:minute`` in ``tz``."""
    moment = dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(hour, minute))
    return moment.replace(tzinfo=zoneinfo.ZoneInfo(tz))


def iso(day, hour, minute=0, tz=SAO_PAULO):
    return at(day, hour, minute, tz).isoformat()


def utc_naive(moment):
    """As Odoo stores datetimes."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


class CrmMixin:
    """Companies, users and calendar helpers, for TransactionCase and HttpCase alike."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        # National phone numbers are read as the company's country's: the tests'
        # numbers are Brazilian (the demo database's company is American).
        cls.company_a.country_id = cls.env.ref("base.br")
        cls.company_b = cls.env["res.company"].create(
            {"name": "CRM Company B", "country_id": cls.env.ref("base.br").id}
        )
        cls.sales_a = cls.user("crm_sales_a", cls.company_a, name="Alice Sales", tz=SAO_PAULO)
        cls.sales_b = cls.user("crm_sales_b", cls.company_b, name="Bruno Sales", tz=SAO_PAULO)
        cls.no_crm = cls.user("crm_none", cls.company_a, NO_CRM_GROUPS, name="Nora NoCrm")

    @classmethod
    def user(cls, login, company, groups=SALES_GROUPS, **values):
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
            email="%s@users.example.org" % login,
            **values,
        )

    @classmethod
    def working_calendar(cls, name, tz, start, end, lunch=None):
        """Monday to Friday from ``start`` to ``end`` (hours), with an optional lunch break."""
        periods = [(start, lunch[0]), (lunch[1], end)] if lunch else [(start, end)]
        return cls.env["resource.calendar"].create(
            {
                "name": name,
                "tz": tz,
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "%s %d" % (name, day),
                            "dayofweek": str(day),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                        },
                    )
                    for day in range(5)
                    for hour_from, hour_to in periods
                ],
            }
        )

    @classmethod
    def give_calendar(cls, user, calendar):
        """Working hours of a user live on their resource (HR creates it; we have no HR)."""
        cls.env["resource.resource"].create(
            {"name": user.name, "user_id": user.id, "calendar_id": calendar.id, "tz": user.tz}
        )

    @classmethod
    def event(cls, name, start, end, partners, **values):
        return cls.env["calendar.event"].create(
            dict(
                {
                    "name": name,
                    "start": utc_naive(start),
                    "stop": utc_naive(end),
                    "partner_ids": [(6, 0, partners.ids)],
                },
                **values,
            )
        )


class CrmCase(CrmMixin, TransactionCase):
    pass
