"""Dates as git takes them: ``2.weeks.ago``, ``yesterday``, ``last monday``, RFC 2822,
``@1671494400``, ``2026-01-13 10:00``.

Kernel people type the dates of ``git log --since``, so git itself parses them: its
careful date parser (the one ``git config --type=expiry-date`` uses) refuses what
it cannot read, where ``git log --since=typo`` would silently mean "now". ISO 8601
dates are read here first, as before: UTC unless a zone is given, and a bare date
means its whole day (its end, as an ``--until``). Git runs with ``TZ=UTC`` so that a
date without a zone means the same everywhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from datetime import UTC, date, datetime
from datetime import time as datetime_time

from listdigest.errors import ListdigestError

#: What ``--help`` and errors list as the accepted forms.
DATE_FORMS = ("2026-01-13, 2026-01-13T10:00+01:00, '2026-01-13 10:00', 2.weeks.ago, "
              "yesterday, 'last monday', 'Tue, 13 Jan 2026 10:00:00 +0100', @1671494400")

_FIRST_TIME = -62_135_596_800  # 0001-01-01T00:00:00Z
_LAST_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z
_GIT_NOW = 2**64 - 1  # git's expiry-date for "now" (everything is older)
#: Names of a whole day: git gives them at the current time of day, we at the day's
#: start (or, as an end, its end), as for a bare date.
_DAY_RE = re.compile(
    r"(?i)^(?:yesterday|today|last\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day)$")


def parse_when(value: str, *, end: bool = False) -> datetime:
    """A ``--since``/``--until`` value as an aware UTC-or-zoned datetime. A bare ISO
    date or a named day (``yesterday``, ``today``, ``last monday``) is that whole day:
    its start, or given as an end, its last moment."""
    text = value.strip()
    try:
        if len(text) == 10:  # the end of 9999-12-31 is no day plus one
            return datetime.combine(date.fromisoformat(text),
                                    datetime_time.max if end else datetime_time.min, UTC)
        when = datetime.fromisoformat(text)
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    except ValueError:
        pass
    if _DAY_RE.match(text):
        day = datetime.fromtimestamp(git_date(f"{text} 00:00"), UTC)
        return datetime.combine(day.date(), datetime_time.max if end else datetime_time.min,
                                UTC)
    seconds = git_date(text)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError):  # @99999999999999 is past the year 9999
        raise ListdigestError(f"invalid date: {value!r} (after the year 9999)") from None


def git_date(value: str) -> int:
    """Seconds since the epoch of a date in any form git reads; one clear error if git
    cannot read it."""
    if not value:
        raise ListdigestError(f"invalid date: '' (accepted: {DATE_FORMS})")
    proc = subprocess.run(
        ["git", "config", "--file", os.devnull, "--type=expiry-date",
         f"--default={value}", "--get", "listdigest.date"],
        capture_output=True, env={**os.environ, "TZ": "UTC", "LC_ALL": "C"}, check=False,
    )
    out = proc.stdout.decode().strip()
    if proc.returncode != 0 or not out.isdigit():
        raise ListdigestError(f"invalid date: {value!r} (accepted: {DATE_FORMS})")
    seconds = int(out)
    return int(time.time()) if seconds == _GIT_NOW else seconds


def day_label(ts: float) -> str:
    """A title's date: ``2026-01-05`` (UTC); the ends of ``--since 0001-01-01`` or
    ``--until 9999-12-31`` in any zone are shown as the first or last day there is."""
    return datetime.fromtimestamp(min(max(ts, _FIRST_TIME), _LAST_TIME), UTC).date().isoformat()
