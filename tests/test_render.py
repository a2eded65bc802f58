"""Text rendering details that a whole digest does not pin down."""

from __future__ import annotations

from listdigest.mail.message import parse_message
from listdigest.model.series import Series
from listdigest.render.text import missing


def series_with(numbers: list[int], total: int) -> Series:
    s = Series(version=1, total=total, sender="a@example.org", first=0)
    for n in numbers:
        raw = (f"From: A <a@example.org>\nSubject: [PATCH {n}/{total}] x\n"
               f"Message-ID: <{n}@example.org>\n\nbody\n").encode()
        msg, _ = parse_message(raw)
        s.add(msg, msg.tags)
    return s


def test_missing_numbers_are_written_as_runs() -> None:
    assert missing(series_with([1], 2)) == "2/2"
    assert missing(series_with([35], 49)) == "1-34, 36-49 of 49"
    assert missing(series_with([1, 3, 5], 6)) == "2, 4, 6 of 6"
    assert series_with([1, 2], 2).missing == []
