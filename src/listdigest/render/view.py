"""What the html, markdown, atom and email formats show beside the text layout, taken
once from the digest's model: a series' state, chart data, dates. No format recomputes
what another has; each only writes it in its own syntax."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from markupsafe import Markup

from listdigest.digest import Digest, default_link_base, message_link
from listdigest.mail.message import Message
from listdigest.model.series import Series
from listdigest.render.charts import bar_chart, column_chart
from listdigest.render.text import (
    applied_line,
    day,
    reviewer_line,
    series_contents,
    state_text,
    version_label,
)
from listdigest.stats.history import Statistics

#: The states of a series, most advanced first (the series model gives one per series).
STATES = ("applied", "partly applied", "superseded", "changes requested", "reviewed",
          "discussed", "waiting")


def state_of(s: Series) -> str:
    """The series' state, for templates given it as a helper (the web app's)."""
    return s.state


def state_counts(series: list[Series]) -> list[tuple[str, int]]:
    """Series per state, in the order of STATES (unknown names after), omitting zeros."""
    counts = Counter(s.state for s in series)
    order = [st for st in STATES if st in counts] + sorted(set(counts) - set(STATES))
    return [(st, counts[st]) for st in order]


def iso(ts: int) -> str:
    """``2025-03-03T09:15:03Z``."""
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


#: Above this many days a chart of a digest's activity draws a bar per ISO week: a
#: bar per day would be thinner than a pixel.
MAX_DAY_BARS = 92


def activity(d: Digest) -> tuple[str, list[str], list[int], list[int]]:
    """Messages and patch emails per day of the range, or per ISO week (``2025-W31``)
    when it is longer than MAX_DAY_BARS days: (per, labels, messages, patch emails)."""
    if len(d.days) <= MAX_DAY_BARS:
        return ("day", [x.day for x in d.days], [x.messages for x in d.days],
                [x.patch_emails for x in d.days])
    weeks: dict[str, list[int]] = {}
    for x in d.days:
        year, week, _ = date.fromisoformat(x.day).isocalendar()
        row = weeks.setdefault(f"{year}-W{week:02d}", [0, 0])
        row[0] += x.messages
        row[1] += x.patch_emails
    return ("week", list(weeks), [m for m, _ in weeks.values()],
            [p for _, p in weeks.values()])


@dataclass(frozen=True, slots=True)
class DigestCharts:
    """The charts of a digest page; an empty string where there is nothing to draw."""

    days: Markup
    per: str
    """What a bar of ``days`` covers: ``day``, or ``week`` over a long range."""
    states: Markup
    contributors: Markup
    domains: Markup


def digest_charts(d: Digest) -> DigestCharts:
    """Messages and patch emails per day, series by state, the two top tables as bars."""
    per, labels, messages, patches = activity(d)
    return DigestCharts(
        days=column_chart(labels, [("messages", messages), ("patch emails", patches)],
                          title=f"Messages and patch emails per {per}"),
        per=per,
        states=bar_chart(state_counts(d.series), title="Series by state"),
        contributors=bar_chart([(r.label, r.count) for r in d.contributors],
                               title="Top contributors"),
        domains=bar_chart([(r.label, r.count) for r in d.domains], title="Top domains"),
    )


@dataclass(frozen=True, slots=True)
class StatsCharts:
    """The charts of a statistics page."""

    activity: Markup
    series: Markup
    people: Markup
    contributors: Markup
    domains: Markup
    reviewers: Markup


def stats_charts(s: Statistics) -> StatsCharts:
    """Per-period charts (messages and patch emails, series and reviews, contributors
    and newcomers) and the three top tables as bars."""
    labels = [p.label for p in s.periods]
    return StatsCharts(
        activity=column_chart(labels, [("messages", [p.messages for p in s.periods]),
                                       ("patch emails", [p.patch_emails for p in s.periods])],
                              title=f"Messages and patch emails per {s.by}"),
        series=column_chart(labels, [("series", [p.series for p in s.periods]),
                                     ("reviews", [p.reviews for p in s.periods])],
                            title=f"Series and reviews per {s.by}"),
        people=column_chart(labels, [("contributors", [len(p.contributors) for p in s.periods]),
                                     ("newcomers", [p.newcomers for p in s.periods])],
                            title=f"Contributors and newcomers per {s.by}"),
        contributors=bar_chart([(r.label, r.count) for r in s.contributors],
                               title="Top contributors"),
        domains=bar_chart([(r.label, r.count) for r in s.domains], title="Top domains"),
        reviewers=bar_chart([(r.label, r.count) for r in s.reviewers], title="Top reviewers"),
    )


@dataclass(frozen=True, slots=True)
class VersionView:
    """One posting in the life of a series, as the page formats show it."""

    label: str
    """``v3`` or ``RFC v2``."""
    day: str
    series: Series
    summary: str
    """What it held and its state, as the text says it."""
    reviewers: str
    applied: list[str]


def life_view(versions: list[Series]) -> list[VersionView]:
    """Every version of a series, oldest first, with what the text shows of each."""
    out = []
    for s in versions:
        out.append(VersionView(
            label=version_label(s),
            day=day(min(m.date for m in s.messages)), series=s,
            summary=f"{series_contents(s)}; {state_text(s)}", reviewers=reviewer_line(s),
            applied=[applied_line(a) for a in s.applied]))
    return out


def page_link(link_base: str | None, msg: Message) -> str | None:
    """A message's address on a page: ``link_base``, else lore's for its list."""
    return message_link(link_base or default_link_base(msg.list_id), msg.message_id)
