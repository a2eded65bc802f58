"""One parsed message: the facts every later stage reads, from the raw bytes.

The record is flat and small so that the index can store it as one row and give
back an equal record: a digest made from the index is the digest made from git.
The message body is not kept; :func:`commit_message` reads it again when a
digest shows it. What a reply says about its series (applied, a new version asked
for) is judged here, once, while its body is in hand, and kept in the record.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from email.utils import parsedate_tz
from functools import lru_cache

from listdigest.mail.address import parse_address, real_sender
from listdigest.mail.applied import AppliedNote, judge_reply
from listdigest.mail.body import Body, parse_body
from listdigest.mail.headers import decode_words, header_fields, split_message
from listdigest.mail.subject import Subject, parse_subject

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_LIST_ID_RE = re.compile(r"<([^<>]+)>")
_MAX_TZ_SECONDS = 14 * 3600  # UTC-12:00 … UTC+14:00 are the zones in use
_MAX_AHEAD_SECONDS = 86400  # a Date this far after its commit time is not believed
#: 9999-12-31T23:59:59Z, the last second a date of four-digit years can name.
MAX_TIME = 253_402_300_799
#: A year written with three or four digits below 1000 (``0000``): ``parsedate`` would
#: read it as a two-digit year (``2000``); it is no date of any mail.
_TINY_YEAR_RE = re.compile(r"(?<![\d+\-:])0\d{2,3}(?![\d:])")
#: The form of nearly every Date (``Tue, 1 Dec 2026 21:31:34 +0000``, maybe ``(UTC)``
#: after it), read here as ``parsedate_tz`` reads it, in a fifth of its time; any other
#: form goes to it. Its year has no leading zero and its comment only letters, so
#: _TINY_YEAR_RE cannot match it.
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_COMMON_DATE_RE = re.compile(
    r"(?:[A-Z][a-z]{2}, +)?([0-9]{1,2}) (" + "|".join(_MONTHS) + r") ([1-9][0-9]{3}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})(?: \([A-Za-z]+\))?")
#: ``git request-pull`` writes this line; it marks a pull request whatever its subject
#: says (``[GIT] Networking``).
_PULL_BODY_RE = re.compile(r"(?im)^are available in the git repository at")
#: The lines b4 and ``git format-patch --base`` write below a cover letter's diffstat
#: (or a patch's diff), each found by its first bytes and then matched.
_TAIL_RE = re.compile(rb"\n(change-id|base-commit): *([\x21-\x7e]{1,200})")

@dataclass(frozen=True, slots=True)
class Message:
    """What listdigest knows of one message of the archive."""

    commit: str
    epoch: int
    blob: str
    commit_time: int
    message_id: str
    subject: str
    date: int
    """Seconds since the epoch from the Date header, or the commit time (see date_ok)."""
    date_ok: bool
    """False when Date was missing, unparseable, out of range or more than a day after
    the commit time, and the commit time is used."""
    from_name: str
    from_addr: str
    """The header sender, relay munging undone."""
    author_name: str
    author_addr: str
    """The contributor: the in-body From when present, else the sender."""
    in_reply_to: str
    references: tuple[str, ...]
    list_id: str
    kind: str
    """One of patch, cover, reply, pull, other (see kind_of)."""
    diffstat: tuple[int, int, int] | None
    trailers: tuple[tuple[str, str], ...]
    has_diff: bool = False
    """Whether the body carries a diff (a diff-less ``[PATCH]`` may be a cover letter)."""
    change_id: str = ""
    """b4's ``change-id:`` line of a patch email: the same for every version."""
    base_commit: str = ""
    """The ``base-commit:`` line of a patch email (git format-patch --base)."""
    applied: AppliedNote | None = None
    """A reply's "applied"/"queued" note (mail.applied), whoever wrote it: the series'
    own sender's note is no note, which only the model can tell."""
    asks_respin: bool = False
    """A reply without an applied note that asks for a new version of the series."""
    subject_tags: Subject | None = field(default=None, compare=False, repr=False)
    """The parsed subject, kept: grouping, rows and renderers read it of every patch
    email, and a new parse each time cost more than the whole tail of a digest. Set by
    the parser (and sent to the parent with the record's fields), else on first use."""

    @property
    def tags(self) -> Subject:
        """The subject's reply prefix and bracket tags."""
        tags = self.subject_tags
        if tags is None:
            tags = parse_subject(self.subject)
            object.__setattr__(self, "subject_tags", tags)  # a cache, not a change
        return tags

    @property
    def is_patch_email(self) -> bool:
        """A patch or cover letter (a digest's counting unit)."""
        return self.kind in ("patch", "cover")

    @property
    def domain(self) -> str:
        """The contributor's mail domain, lower-cased."""
        return self.author_addr.rpartition("@")[2]


def message_ids(value: str) -> tuple[str, ...]:
    """The Message-IDs in a References or In-Reply-To value, without angle brackets."""
    found = _MSGID_RE.findall(value)
    if not found:  # a bare id without brackets; junk such as ">" is no id
        found = [t for t in (w.strip("<>") for w in value.split()[:1]) if "@" in t or len(t) > 8]
    return tuple(found)


def parse_date(value: str) -> int | None:
    """Seconds since the epoch of a Date value, None when unparseable or out of range."""
    if not value:
        return None
    if m := _COMMON_DATE_RE.fullmatch(value):
        day, month, year, hour, minute, second, sign, tz_hours, tz_minutes = m.groups()
        parts: tuple[int, ...] = (int(year), _MONTHS[month], int(day), int(hour), int(minute),
                                  int(second))
        offset = (int(tz_hours) * 3600 + int(tz_minutes) * 60) * (-1 if sign == "-" else 1)
    elif read := _parsedate(value):
        parts, offset = read
    else:
        return None
    if abs(offset) > _MAX_TZ_SECONDS or not 1970 <= parts[0] <= 9999:
        return None
    if not (1 <= parts[2] <= 31 and 0 <= parts[3] <= 24 and 0 <= parts[4] <= 59
            and 0 <= parts[5] <= 61):  # fuzzed "23:22:904070804030804" is no time of day
        return None
    try:
        when = calendar.timegm((*parts, 0, 1, -1)) - offset
    except (ValueError, OverflowError):
        return None
    # 9999-12-31 in a zone west of UTC is a moment of the year 10000, which no date
    # type (Python's, SQLite's, JSON's ISO strings) can show.
    return when if 0 <= when <= MAX_TIME else None


def _parsedate(value: str) -> tuple[tuple[int, ...], int] | None:
    """(year, month, day, hour, minute, second) and the zone offset in seconds, as
    ``parsedate_tz`` reads any Date form it knows; None when it cannot."""
    try:
        parts = parsedate_tz(value)
    except (ValueError, IndexError, TypeError, OverflowError):
        return None
    if parts is None or _TINY_YEAR_RE.search(value):
        return None
    return tuple(parts[:6]), parts[9] or 0


def unix_lines(raw: bytes) -> bytes:
    """A message whose lines end in CR alone (classic Mac OS mail) read as if they ended
    in LF: without it, the whole message would be one header line. Mail with any LF is
    left as it is (the test stops at the first LF, so it costs nothing)."""
    if b"\n" not in raw and b"\r" in raw:
        return raw.replace(b"\r", b"\n")
    return raw


def header_date(value: str, commit_time: int) -> int | None:
    """The Date to believe: None (the commit time is used) when it is unreadable, or
    more than a day after the commit that archived the message (a 2077 Date is a
    sender's broken clock, and would sort the message after everything)."""
    date = parse_date(value)
    if date is not None and commit_time and date > commit_time + _MAX_AHEAD_SECONDS:
        return None
    return date


def message_date(raw: bytes, commit_time: int) -> int:
    """The date ``parse_message`` would give, from the header alone (a quarter of the
    cost): enough to leave out a message dated outside a range without parsing it."""
    date = header_date(header_fields(split_message(unix_lines(raw))[0]).get("date", ""),
                       commit_time)
    return commit_time if date is None else date


def kind_of(subject: Subject, *, has_diff: bool = False) -> str:
    """Classify a message by its subject tags and whether it carries a diff (see the
    README's counting rules): a numbered subject without ``PATCH`` is a patch email
    when it has a diff, or a cover letter as ``0/N``."""
    if subject.is_reply:
        return "reply"
    if subject.is_patch:
        return "cover" if subject.is_cover else "patch"
    if subject.is_pull:
        return "pull"
    if subject.is_numbered and (has_diff or subject.counter == 0):
        return "cover" if subject.counter == 0 else "patch"
    return "other"


def parse_message(raw: bytes, *, commit: str = "", epoch: int = 0, blob: str = "",
                  commit_time: int = 0) -> tuple[Message, Body]:
    """Parse raw message bytes; never raises on malformed mail."""
    raw = unix_lines(raw)
    block, body_start = split_message(raw)
    fields = header_fields(block)
    subject_text = decode_words(fields.get("subject", ""))
    subject = parse_subject(subject_text)
    from_name, from_addr = real_sender(fields)
    parsed = parse_body(fields, raw, body_start)
    kind = kind_of(subject)
    if kind == "other":
        if _PULL_BODY_RE.search(parsed.section):
            kind = "pull"
        else:
            kind = kind_of(subject, has_diff=parsed.has_diff)
    author_name, author_addr = from_name, from_addr
    if kind in ("patch", "cover") and (inbody_from := parsed.inbody.get("from")):
        name, addr = parse_address(inbody_from)
        if "@" in addr:
            author_name, author_addr = name, addr
    date = header_date(fields.get("date", ""), commit_time)
    ids = message_ids(fields.get("message-id", ""))
    irt = message_ids(fields.get("in-reply-to", ""))
    msg = Message(
        commit=commit, epoch=epoch, blob=blob, commit_time=commit_time,
        message_id=ids[0] if ids else "",
        subject=subject_text,
        date=date if date is not None else commit_time,
        date_ok=date is not None,
        from_name=from_name, from_addr=from_addr,
        author_name=author_name, author_addr=author_addr,
        in_reply_to=irt[0] if irt else "",
        references=message_ids(fields.get("references", "")),
        list_id=_list_id(fields.get("list-id", "")),
        kind=kind,
        subject_tags=subject,
        diffstat=parsed.diffstat,
        trailers=parsed.trailers,
        has_diff=parsed.has_diff,
        **(_tail_fields(raw, body_start) if kind in ("patch", "cover") else
           _verdicts(raw, parsed) if kind == "reply" else {}),
    )
    return msg, parsed


def _verdicts(raw: bytes, body: Body) -> dict[str, object]:
    """``applied`` and ``asks_respin`` of a reply (mail.applied.judge_reply)."""
    note, asks = judge_reply(body.section, raw)
    if note is not None:
        return {"applied": note}
    return {"asks_respin": True} if asks else {}


def _tail_fields(raw: bytes, body_start: int) -> dict[str, str]:
    """``change_id`` and ``base_commit`` from the lines that start with them (the first
    of each), read off the raw bytes."""
    found: dict[str, str] = {}
    for needle, name in _TAIL_NAMES:  # bytes.find skips ahead by the needle's length
        pos = raw.find(needle, max(body_start - 1, 0))
        while pos != -1:
            if m := _TAIL_RE.match(raw, pos):
                found[name] = m.group(2).decode()
                break
            pos = raw.find(needle, pos + 1)
    return found


_TAIL_NAMES = ((b"\nchange-id:", "change_id"), (b"\nbase-commit:", "base_commit"))


def _list_id(value: str) -> str:
    """The id of a List-Id value (remembered when short: one or two per archive)."""
    return _list_id_of(value) if len(value) <= 200 else _list_id_of.__wrapped__(value)


@lru_cache(maxsize=256)
def _list_id_of(value: str) -> str:
    """:func:`_list_id`, read from the value."""
    value = decode_words(value)
    m = _LIST_ID_RE.search(value)
    return (m.group(1) if m else value).strip()


def commit_message(raw: bytes) -> Body:
    """Re-read a message's body for display (the index keeps no bodies)."""
    raw = unix_lines(raw)
    block, body_start = split_message(raw)
    return parse_body(header_fields(block), raw, body_start)
