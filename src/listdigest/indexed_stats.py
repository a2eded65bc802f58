"""``stats`` from a current index, aggregated in SQL: years of a list without building a
record per message.

Each figure is a GROUP BY over the ``messages`` rows of the range, with the rules
``collect`` and ``build_statistics`` apply to messages read from git: a Message-ID met
again counts once (its first row in archive order), a commit without a message is
skipped, a series counts in the period of its first message. Series are counted from
the rows' ``series`` (index.grouping): over the whole index one GROUP BY of an index;
over a range, ``group_series`` reads the range's first patch emails as long as they can
depend on rows outside it (see ``_range_series``), the column the rest. They are counted
in a thread with its own connection while this one runs the other GROUP BYs (SQLite
lets go of the GIL while it steps: the two use both cores).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from listdigest.digest import Accounting, Selection, Skip, range_bounds
from listdigest.index.db import Index
from listdigest.index.grouping import GROUPED, patch_messages
from listdigest.index.rows import COLUMNS, scanned_of
from listdigest.mail.address import parse_address
from listdigest.mail.message import Message
from listdigest.model.series import REVIEW_TAGS, group_series
from listdigest.sources.archive import Archive
from listdigest.sources.dates import day_label
from listdigest.sources.files import path_name
from listdigest.stats.contributors import (
    Row,
    counted_address_table,
    counted_domain_table,
)
from listdigest.stats.history import Period, Statistics, period_of, statistics_of

_PATCH = "kind IN ('patch', 'cover')"
_PLACE = "(epoch << 32 | pos)"
_REVIEWS = ", ".join(f"'{tag.lower()}'" for tag in REVIEW_TAGS)

Args = tuple[object, ...]


def period_sql(by: str, column: str = "date") -> str:
    """SQL for ``period_of(column, by)``: ``2021``, ``2021-03``, ISO week ``2021-W09``
    (the week's Thursday gives its ISO year and number)."""
    if by == "year":
        return f"strftime('%Y', {column}, 'unixepoch')"
    if by == "month":
        return f"strftime('%Y-%m', {column}, 'unixepoch')"
    thursday = f"date({column}, 'unixepoch', '-3 days', 'weekday 4')"
    return (f"printf('%s-W%02d', strftime('%Y', {thursday}),"
            f" (CAST(strftime('%j', {thursday}) AS INTEGER) + 6) / 7)")


def indexed_statistics(archive: Archive, idx: Index, *, rev_from: str | None,
                       rev_to: str | None, since: str | None, until: str | None,
                       name: str | None, by: str,
                       top: int) -> tuple[Selection, Statistics] | None:
    """The range's selection (without its messages) and statistics from the index's rows;
    None when the index cannot answer alone (a snapshot that git completes, a revision
    off the indexed lines): ``select`` and ``build_statistics`` then."""
    by_date, lo, hi = range_bounds(archive, rev_from=rev_from, rev_to=rev_to, since=since,
                                   until=until)
    if idx.snapshot:
        return None
    # The whole index needs no condition: each query then reads the narrowest index that
    # holds its columns, or the table once.
    where = ("date >= ? AND date <= ?", (lo, hi)) if by_date else \
        ("1", ()) if rev_from is None and rev_to is None else \
        idx.commit_range(rev_from, rev_to)
    if where is None:
        return None
    with ThreadPoolExecutor(1) as pool:
        return _statistics(archive, idx, pool, where, rev_from=rev_from, rev_to=rev_to,
                           since=since, until=until, name=name, by=by, top=top,
                           by_date=by_date, lo=lo, hi=hi)


def _statistics(archive: Archive, idx: Index, pool: ThreadPoolExecutor,
                where: tuple[str, Args], *, rev_from: str | None, rev_to: str | None,
                since: str | None, until: str | None, name: str | None, by: str, top: int,
                by_date: bool, lo: float, hi: float) -> tuple[Selection, Statistics]:
    """``indexed_statistics`` of the rows ``where`` selects. ``pool``'s thread counts the
    rows (over the whole index or dates per period: the account and the periods' counts
    from one pass) and then reads the review trailers, the duplicates' taken off later,
    while this one finds the duplicates: SQLite lets go of the GIL as it steps, so the
    queries share both cores."""
    counted = pool.submit(_count_rows, idx, *where, by)
    reviewed = pool.submit(_review_rows, idx, *where, period_sql(by))
    q = _Queries(idx, where[0], where[1], reviewed)
    totals, q.period_rows = counted.result()
    acc = q.accounting(totals)
    # Every row of the index: the rows' series are the range's (the epochs' counts, not
    # count(*), which would read every row).
    q.whole = acc.commits == q.one("SELECT coalesce(sum(count), 0) FROM epochs", ())[0]
    if where[0] == "1":  # through the date index's ends (min and max read every row)
        first, last = (q.one(f"SELECT date FROM messages WHERE {q.kept} ORDER BY date {d} "
                             "LIMIT 1") or (None,) for d in ("", "DESC"))
        first, last = first[0], last[0]
    else:
        first, last = q.one(f"SELECT min(date), max(date) FROM messages WHERE {q.kept}")
    q.dates = (first, last)
    if by_date:
        start = day_label(lo if since else first if first is not None else time.time())
        end = day_label(hi if until else last if last is not None else time.time())
        commits = None
        if acc.messages - len(acc.duplicates):
            commits = (q.one(f"SELECT commit_id FROM messages WHERE {q.kept} "
                             "ORDER BY epoch, pos LIMIT 1")[0],
                       q.one(f"SELECT commit_id FROM messages WHERE {q.kept} "
                             "ORDER BY epoch DESC, pos DESC LIMIT 1")[0])
    else:
        ends = [q.one(f"SELECT commit_id FROM messages WHERE {q.where} ORDER BY epoch {d},"
                      f" pos {d} LIMIT 1", q.args) for d in ("", "DESC")]
        start = (archive.resolve(rev_from)[1] if rev_from else
                 ends[0][0] if ends[0] else "start")[:9]
        end = (archive.resolve(rev_to)[1] if rev_to else
               ends[1][0] if ends[1] else start)[:9]
        commits = None
    sel = Selection([], acc, start, end, by_date, commits,
                    lo if since else first, hi if until else last, (lo, hi))
    name = name or q.list_name() or path_name(archive.path.resolve().name).removesuffix(".git")
    periods, named = q.periods(by)
    stats = statistics_of(periods, counted_domain_table((a, n) for _, a, n in named),
                          counted_address_table(named), q.reviewers(),
                          list_name=name, start=start, end=sel.end_label, by=by, top=top)
    return sel, stats


#: The account's figures of some rows: commits, date fallbacks, patch emails, replies and
#: messages (duplicates included).
_COUNTED = ("SELECT count(*), total(reason = '' AND date_ok = 0), total(reason = '' AND "
            f"{_PATCH}), total(reason = '' AND kind = 'reply'), total(reason = '') FROM messages")

Counted = tuple[int, float, float, float, float]
PeriodRows = list[tuple[str, int, float, float, float, float]]


def _by_dates(where: str) -> bool:
    """Whether ``where`` is the whole index or a range of dates, which the stats'
    covering index (date first) reads best; a range of commits is read by position."""
    return where == "1" or where.startswith("date")


def _count_rows(idx: Index, where: str, args: Args, by: str) -> tuple[Counted, PeriodRows | None]:
    """The account's figures of the range's rows, through a connection of the calling
    thread; over the whole index or dates also per period, one range of dates each
    through the stats index (their sums are the account's), for ``_Queries._counts``."""
    with idx.reader() as conn:
        if not _by_dates(where):
            return conn.execute(f"{_COUNTED} WHERE {where}", args).fetchone(), None
        # Through the date index's ends (min and max over a condition read every row).
        ends = [conn.execute(f"SELECT date FROM messages WHERE {where} ORDER BY date {d} "
                             "LIMIT 1", args).fetchone() for d in ("", "DESC")]
        if ends[0] is None or ends[1] is None:
            return (0, 0, 0, 0, 0), []
        sql = (f"{_COUNTED} INDEXED BY messages_stats WHERE {where} AND date >= ? AND "
               "date < ?")
        rows = [(key, *conn.execute(sql, (*args, start, end)).fetchone())
                for key, start, end in _spans(ends[0][0], ends[1][0], by)]
    commits, fallbacks, patches, replies, messages = (sum(column) for column in
                                                      list(zip(*rows, strict=True))[1:])
    return (int(commits), fallbacks, patches, replies, messages), rows


def _review_rows(idx: Index, where: str, args: Args,
                 label: str) -> list[tuple[int, str, str]]:
    """Each review trailer of a reply of the range's rows (``review_trailers``): its
    row, period and value, in archive order, through a connection of the calling
    thread (duplicates included: the caller drops their rows)."""
    # The whole index's replies with trailers are read through their partial index.
    hint = "INDEXED BY messages_reviewed" if where == "1" else ""
    with idx.reader() as conn:
        return conn.execute(
            f"SELECT m.rowid, {label}, json_extract(t.value, '$[1]') FROM (SELECT rowid, "
            f"epoch, pos, date, trailers FROM messages {hint} WHERE {where} AND reason = ''"
            " AND kind = 'reply' AND trailers != '[]') AS m, json_each(m.trailers) AS t"
            f" WHERE lower(json_extract(t.value, '$[0]')) IN ({_REVIEWS}) ORDER BY m.epoch,"
            " m.pos, t.id", args).fetchall()


def _spans(first: int, last: int, by: str) -> list[tuple[str, int, int]]:
    """The periods from the day of ``first`` to the day of ``last``: label, first second
    and the second after (a period is whole UTC days)."""
    spans: list[tuple[str, int, int]] = []
    day = first - first % 86400
    while day <= last:
        key = period_of(day, by)
        if spans and spans[-1][0] == key:
            spans[-1] = (key, spans[-1][1], day + 86400)
        else:
            spans.append((key, day, day + 86400))
        day += 86400
    return spans


def _people(rows: list[tuple[Any, ...]],
            period: Callable[[str], Period]) -> dict[tuple[str, str], list[int]]:
    """Contributors and newcomers into ``period(key)`` from the patch emails per period
    and person; the patch emails per (name, address): [first position, count]."""
    named: dict[tuple[str, str], list[int]] = {}
    first: dict[str, tuple[int, str]] = {}
    for key, addr, name, n, date, pos in rows:
        period(key).contributors.add(addr)
        if (seen := named.get((name, addr))) is None:
            named[(name, addr)] = [pos, n]
        else:
            seen[0], seen[1] = min(seen[0], pos), seen[1] + n
        if addr not in first or date < first[addr][0]:
            first[addr] = (date, key)
    for _, key in first.values():
        period(key).newcomers += 1
    return named


class _Queries:
    """The queries over one range of rows; ``kept`` is its condition for the rows that
    count (a message, and the first of its Message-ID)."""

    def __init__(self, idx: Index, where: str, args: Args,
                 reviewed: Future[list[tuple[int, str, str]]]) -> None:
        self.idx, self.db = idx, idx.db
        self.where, self.args = where, args
        self.duplicates, self.dup_rows = self._duplicates()
        self.kept, self.kept_args = f"{where} AND reason = ''", args
        if self.dup_rows:
            self.kept += " AND rowid NOT IN (SELECT value FROM json_each(?))"
            self.kept_args = (*args, json.dumps(self.dup_rows))
        self._reviewed = reviewed
        self._review_rows: list[tuple[str, str]] = []
        self.whole = False
        self.dates: tuple[int | None, int | None] = (None, None)
        """The first and last date of the rows that count."""
        self.period_rows: PeriodRows | None = None
        """``_count_rows``' figures per period, of a range read through the stats index."""
        self.narrow = "INDEXED BY messages_stats" if _by_dates(where) else ""

    def one(self, sql: str, args: Args | None = None) -> tuple:  # type: ignore[type-arg]
        row = self.db.execute(sql, self.kept_args if args is None else args).fetchone()
        return tuple(row) if row is not None else ()

    def _duplicates(self) -> tuple[list[Message], list[int]]:
        """Rows whose Message-ID an earlier row of the range has: their messages (said
        with -v) and rowids (left out of every count)."""
        # A row with a Message-ID holds a message (its reason is ''): over the whole index
        # the inner query reads the Message-ID index alone.
        rows = self.db.execute(
            f"SELECT rowid, {', '.join(COLUMNS)} FROM messages WHERE {self.where} AND "
            f"reason = '' AND message_id IN (SELECT message_id FROM messages WHERE "
            f"{self.where} AND message_id != '' GROUP BY message_id "
            "HAVING count(*) > 1) ORDER BY epoch, pos", (*self.args, *self.args))
        seen: set[str] = set()
        messages, rowids = [], []
        for rowid, *row in rows:
            msg = scanned_of(tuple(row)).message
            if msg is None:
                continue
            if msg.message_id in seen:
                messages.append(msg)
                rowids.append(rowid)
            seen.add(msg.message_id)
        return messages, rowids

    def accounting(self, counted: tuple[int, float, float, float, float]) -> Accounting:
        """The account ``collect`` gives of the same rows, from ``_count_rows``' figures
        (the duplicates' kinds taken off)."""
        commits, fallbacks, patches, replies, messages = counted
        skipped = [Skip(c, r) for c, r in self.db.execute(
            f"SELECT commit_id, reason FROM messages WHERE {self.where} AND reason != '' "
            "ORDER BY epoch, pos", self.args)] if messages < commits else []
        dup_patches = sum(m.is_patch_email for m in self.duplicates)
        dup_replies = sum(m.kind == "reply" for m in self.duplicates)
        patches, replies = int(patches) - dup_patches, int(replies) - dup_replies
        other = int(messages) - len(self.duplicates) - patches - replies
        return Accounting(commits, patches, replies, other, self.duplicates, skipped,
                          int(fallbacks))

    def list_name(self) -> str | None:
        """The first List-Id's list (``<kvm.vger.kernel.org>`` → ``kvm``)."""
        row = self.one(f"SELECT list_id FROM messages WHERE {self.kept} AND list_id != '' "
                       "ORDER BY epoch, pos LIMIT 1")
        return str(row[0]).split(".", 1)[0] if row else None

    def periods(self, by: str) -> tuple[list[Period], list[tuple[str, str, int]]]:
        """Messages, patch emails, replies, reviews, contributors, newcomers and series
        per period, oldest first; and the patch emails per (name, address) of the whole
        range, in order of first appearance."""
        label = period_sql(by)
        periods: dict[str, Period] = {}

        def period(key: str) -> Period:
            return periods.get(key) or periods.setdefault(key, Period(key))

        with ThreadPoolExecutor(1) as pool:
            side = pool.submit(self._series, by, label)
            self._counts(by, label, period)
            series, authors = side.result()
        for key, n in series.items():
            period(key).series = n
        named = _people(authors, period)
        order = sorted(named.items(), key=lambda item: item[1][0])
        return [periods[k] for k in sorted(periods)], [(nm, a, n) for (nm, a), (_, n) in order]

    def _counts(self, by: str, label: str, period: Callable[[str], Period]) -> None:
        """Messages, patch emails, replies and reviews into ``period(key)``: through the
        stats index, one range of dates per period (GROUP BY sorts every row)."""
        if self.period_rows is not None:
            dups: Counter[tuple[str, str]] = Counter()
            for m in self.duplicates:
                key = period_of(m.date, by)
                dups[key, "n"] += 1
                dups[key, "patch"] += m.is_patch_email
                dups[key, "reply"] += m.kind == "reply"
            found = [(key, int(messages) - dups[key, "n"], patches - dups[key, "patch"],
                      replies - dups[key, "reply"])
                     for key, _, _, patches, replies, messages in self.period_rows]
        else:
            found = self.db.execute(
                f"SELECT {label} AS p, count(*), total({_PATCH}), total(kind = 'reply') FROM "
                f"messages WHERE {self.kept} GROUP BY p", self.kept_args).fetchall()
        for key, n, patches, replies in found:
            if n:
                p = period(key)
                p.messages, p.patch_emails, p.replies = n, int(patches), int(replies)
        dropped = set(self.dup_rows)
        self._review_rows = [(key, value) for rowid, key, value in self._reviewed.result()
                             if rowid not in dropped]
        for key, _ in self._review_rows:
            period(key).reviews += 1

    def _series(self, by: str, label: str) -> tuple[Counter[str], list[tuple[Any, ...]]]:
        """Series per period (of their first message), and the patch emails per period
        and person (count, first date, first position), read through a connection of
        this thread."""
        with self.idx.reader() as conn:
            if self.whole:
                series = Counter(dict(conn.execute(
                    f"SELECT p, count(*) FROM (SELECT {period_sql(by, 'min(date)')} AS p "
                    "FROM messages WHERE series IS NOT NULL GROUP BY series) GROUP BY p")))
            else:
                series = self._range_series(conn, by)
            # Per period through the stats index, as the counts (one GROUP BY sorts every
            # patch email by period and person).
            people = (f"SELECT {{}} author_addr, author_name, count(*), min(date), min(epoch *"
                      f" 4294967296 + pos) FROM messages {self.narrow} WHERE {self.kept} AND "
                      f"{_PATCH} {{}} GROUP BY {{}} author_addr, author_name")
            first, last = self.dates
            if self.narrow and first is not None and last is not None:
                authors = [(key, *row) for key, start, end in _spans(first, last, by)
                           for row in conn.execute(
                               people.format("", "AND date >= ? AND date < ?", ""),
                               (*self.kept_args, start, end))]
            else:
                authors = conn.execute(people.format(f"{label} AS p,", "", "p,"),
                                       self.kept_args).fetchall()
            return series, authors

    def _range_series(self, conn: sqlite3.Connection, by: str) -> Counter[str]:
        """Series of a range: ``group_series`` over the range's patch emails up to the
        last one whose row can depend on a row outside the range, the rows' ``series``
        after it.

        That cut is the least place such that no patch email of the range after it has
        a ``reach`` at or before it (or no series: a duplicate of a message before the
        range), and no grouped row outside the range (another date) lies between it and
        the range's last patch email. A series after the cut then depends on rows after
        the cut only, all of the range, grouped as the whole archive groups them; none
        began before it."""
        patch, args = f"{self.kept} AND {_PATCH}", self.kept_args
        first, last = conn.execute(f"SELECT min({_PLACE}), max({_PLACE}) FROM messages "
                                   f"WHERE {patch}", args).fetchone()
        if first is None:
            return Counter()
        cut = first - 1
        while True:
            inside = conn.execute(f"SELECT max({_PLACE}) FROM messages WHERE {patch} AND "
                                  "(series IS NULL OR reach <= ?)", (*args, cut)).fetchone()[0]
            outside = conn.execute(
                f"SELECT max({_PLACE}) FROM messages WHERE {_PLACE} > ? AND {_PLACE} <= ? "
                f"AND series IS NOT NULL AND NOT ({self.where})",
                (cut, last, *self.args)).fetchone()[0]
            moved = max(cut, inside or cut, outside or cut)
            if moved == cut:
                break
            cut = moved
        counts = Counter(period_of(min(m.date for m in s.messages), by)
                         for s in group_series(patch_messages(conn.execute(
                             f"SELECT {', '.join(GROUPED)} FROM messages WHERE {patch} AND "
                             f"{_PLACE} <= ? ORDER BY epoch, pos", (*args, cut)))))
        counts.update(dict(conn.execute(
            f"SELECT p, count(*) FROM (SELECT {period_sql(by, 'min(date)')} AS p FROM "
            f"messages WHERE {patch} AND {_PLACE} > ? GROUP BY series) GROUP BY p",
            (*args, cut))))
        return counts

    def reviewers(self) -> list[Row]:
        """Who gives review trailers in replies (``reviewer_table``); after ``periods``."""
        # Each distinct value parsed once (reviewers repeat: 211,598 trailers of 2,000,000
        # messages hold a few thousand); Counter keeps the order of first appearance, so
        # the earliest name still wins a tie.
        values = Counter(value for _, value in self._review_rows)
        people = ((*parse_address(value), n) for value, n in values.items())
        return counted_address_table((name, addr, n) for name, addr, n in people
                                     if "@" in addr)
