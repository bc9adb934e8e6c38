"""Supervisor reports over a period (supervisors and admins): the figures as JSON, or as a CSV download.

``GET /api/reports?from=2024-03-01&to=2024-03-08&tz=Asia/Shanghai`` covers the local dates [from, to) in the
time zone (UTC when not given), at most 92 days (``hub.reports.MAX_DAYS``); ``GET /api/reports/csv?...&lang=zh``
is the same report as CSV (see ``hub.reports_csv``). What each figure counts is written in ``hub.reports``.
Agents get 403 ``role_forbidden``; a bad period 400 with ``bad_date``, ``bad_timezone``, ``bad_range`` or
``range_too_long`` (and the CSV's ``lang`` ``bad_language``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import Parameter

from hub.api.deps import current_user, require, runtime_of
from hub.errors import InvalidInput
from hub.models import MANAGER_ROLES, Role, User
from hub.reports import Report, build_report, parse_period, taken
from hub.reports_csv import LANGUAGES, filename, report_csv

From = Annotated[str | None, Parameter(query="from", description="the first local date, YYYY-MM-DD")]
To = Annotated[str | None, Parameter(query="to", description="the local date after the last, YYYY-MM-DD")]
Zone = Annotated[str | None, Parameter(description="an IANA time zone such as Asia/Shanghai (default UTC)")]
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def _allowed(user: User) -> None:
    require(user, MANAGER_ROLES, "reports are for supervisors and admins")


async def _report(request: Request, user: User, start: str | None, end: str | None, tz: str | None) -> Report:
    _allowed(user)
    period = parse_period(start, end, tz)
    store = runtime_of(request).store
    conversations = await store.conversations_between(period.start_at, period.end_at)
    replies = await store.first_message_times({c.id: c.assigned_at or EARLIEST for c in taken(conversations)},
                                              Role.AGENT)
    spoke = await store.first_message_times({c.id: EARLIEST for c in conversations}, Role.CUSTOMER)
    return build_report(period, conversations, replies, spoke.keys(), await store.list_users())


class ReportController(Controller):
    path = "/api/reports"
    dependencies = {"user": Provide(current_user)}
    tags = ["reports"]

    @get("/")
    async def report(self, request: Request, user: User, start: From = None, end: To = None,
                     tz: Zone = None) -> Report:
        """Contacts per hour by channel, handle, hold and first response time, abandon and bot containment rates,
        satisfaction, and per agent figures."""
        return await _report(request, user, start, end, tz)

    @get("/csv", media_type="text/csv; charset=utf-8")
    async def csv(self, request: Request, user: User, start: From = None, end: To = None, tz: Zone = None,
                  lang: Annotated[str, Parameter(description="headings: en or zh")] = "en") -> Response[bytes]:
        """The same report as a CSV attachment (UTF-8 with a byte-order mark; a section per figure)."""
        _allowed(user)
        if lang not in LANGUAGES:
            raise InvalidInput("'lang' must be en or zh", code="bad_language")
        report = await _report(request, user, start, end, tz)
        return Response(report_csv(report, lang), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{filename(report)}"'})
