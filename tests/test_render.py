"""Text rendering details that a whole digest does not pin down."""

from __future__ import annotations

from listdigest.digest import Accounting, Digest
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


def test_links_escape_message_ids_as_public_inbox_does() -> None:
    d = Digest(list_name="x", start="a", end="b", by_date=False, top=1, patches=[],
               series=[], domains=[], contributors=[], entries=[], bodies={},
               accounting=Accounting(), link_base="https://lore.kernel.org/r/")
    raw = b"From: A <a@x.org>\nSubject: [PATCH] x\nMessage-ID: <a/b%c#d+e@x.org>\n\nbody\n"
    msg, _ = parse_message(raw)
    assert d.link(msg) == "https://lore.kernel.org/r/a%2Fb%25c%23d+e@x.org"
    d.link_base = None
    assert d.link(msg) is None
