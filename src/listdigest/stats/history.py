"""Activity over time: messages, patches, series, replies and people per year, month or
week, and who reviews — for readers who want years of a list at a glance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from listdigest.mail.address import parse_address
from listdigest.mail.message import Message
from listdigest.model.series import group_series, review_trailers
from listdigest.stats.contributors import Row, address_table, contributor_table, domain_table

PERIODS = ("year", "month", "week")


@dataclass(slots=True)
class Period:
    """What happened in one period."""

    label: str
    messages: int = 0
    patch_emails: int = 0
    series: int = 0
    """Series whose first message is in this period."""
    replies: int = 0
    reviews: int = 0
    """Acked-by, Reviewed-by and Tested-by trailers given in replies."""
    contributors: set[str] = field(default_factory=set)
    """Addresses that sent patch emails."""
    newcomers: int = 0
    """Contributors whose first patch email of the selection is in this period."""


def period_of(ts: int, by: str) -> str:
    """``2021``, ``2021-03`` or ISO week ``2021-W09`` of a timestamp (UTC)."""
    when = datetime.fromtimestamp(ts, UTC)
    if by == "year":
        return f"{when.year}"
    if by == "month":
        return f"{when.year}-{when.month:02d}"
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def by_period(messages: list[Message], by: str) -> list[Period]:
    """Count messages per period of their date, oldest period first."""
    periods: dict[str, Period] = {}

    def period(ts: int) -> Period:
        label = period_of(ts, by)
        return periods.get(label) or periods.setdefault(label, Period(label))

    for s in group_series(m for m in messages if m.is_patch_email):
        period(min(m.date for m in s.messages)).series += 1
    seen: set[str] = set()
    for msg in sorted(messages, key=lambda m: m.date):
        p = period(msg.date)
        p.messages += 1
        if msg.is_patch_email:
            p.patch_emails += 1
            p.contributors.add(msg.author_addr)
            if msg.author_addr not in seen:
                seen.add(msg.author_addr)
                p.newcomers += 1
        elif msg.kind == "reply":
            p.replies += 1
            p.reviews += len(review_trailers(msg))
    return [periods[k] for k in sorted(periods)]


@dataclass(frozen=True, slots=True)
class Day:
    """Messages and patch emails dated on one day (UTC)."""

    day: str
    messages: int
    patch_emails: int


def per_day(messages: Iterable[Message]) -> list[Day]:
    """Messages and patch emails per day of their Date, every day from the first to the
    last (quiet days too, so a chart's gaps are true)."""
    counts: dict[date, list[int]] = {}
    for msg in messages:
        row = counts.setdefault(datetime.fromtimestamp(msg.date, UTC).date(), [0, 0])
        row[0] += 1
        row[1] += msg.is_patch_email
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        messages_, patches = counts.get(day, (0, 0))
        days.append(Day(day.isoformat(), messages_, patches))
    return days


def reviewer_table(messages: Iterable[Message], top: int | None = None) -> list[Row]:
    """Who gives review trailers in replies, by the address in the trailer."""
    reviewers = (parse_address(value) for msg in messages if msg.kind == "reply"
                 for _, value in review_trailers(msg))
    return address_table(((name, addr) for name, addr in reviewers if "@" in addr), top)


@dataclass(slots=True)
class Statistics:
    """Everything ``listdigest stats`` shows."""

    list_name: str
    start: str
    end: str
    by: str
    top: int
    periods: list[Period]
    total: Period
    domains: list[Row]
    """The first ``top`` rows; ``all_…`` hold the whole tables (JSON gives every row)."""
    all_domains: list[Row]
    contributors: list[Row]
    all_contributors: list[Row]
    reviewers: list[Row]
    all_reviewers: list[Row]


def build_statistics(messages: list[Message], *, list_name: str, start: str, end: str,
                     by: str, top: int) -> Statistics:
    """Activity per period, its total, and the tables of the whole selection."""
    patches = [m for m in messages if m.is_patch_email]
    return statistics_of(by_period(messages, by), domain_table(patches),
                         contributor_table(patches), reviewer_table(messages),
                         list_name=list_name, start=start, end=end, by=by, top=top)


def statistics_of(periods: list[Period], domains: list[Row], contributors: list[Row],
                  reviewers: list[Row], *, list_name: str, start: str, end: str, by: str,
                  top: int) -> Statistics:
    """The statistics from counted periods and whole tables (from messages, or from an
    index's aggregates): the total and the top rows added."""
    total = Period("total")
    for p in periods:
        total.messages += p.messages
        total.patch_emails += p.patch_emails
        total.series += p.series
        total.replies += p.replies
        total.reviews += p.reviews
        total.contributors |= p.contributors
        total.newcomers += p.newcomers
    return Statistics(list_name, start, end, by, top, periods, total,
                      *_whole_and_top(domains, top), *_whole_and_top(contributors, top),
                      *_whole_and_top(reviewers, top))


def _whole_and_top(rows: list[Row], top: int) -> tuple[list[Row], list[Row]]:
    return rows[:top], rows
