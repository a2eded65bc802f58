"""Inputs of a few MB that once made a parse quadratic (minutes to hours at this size)
give the right answer; how the cost grows is shown by bench/linear.py, not timed here."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import linear

from listdigest.mail.address import is_munged, parse_address
from listdigest.mail.message import parse_message
from listdigest.mail.subject import parse_subject
from listdigest.model.series import group_series

MB = 1 << 20


def test_blank_runs_in_header_lines() -> None:
    msg, _ = parse_message(linear.blank_header(4 * MB))
    assert (msg.from_name, msg.from_addr) == ("Name", "x@example.org")
    assert msg.subject == "Re [PATCH] x"  # blanks collapsed; "Re" without a colon
    assert parse_address(" " * MB + "x@y" + " " * MB + "(") == ("", "x@y")
    assert parse_address("Name" + " " * MB + "via List <l@x.org>") == ("Name via List",
                                                                      "l@x.org")
    assert is_munged("Name" + " " * MB + "via" + " " * MB + "List", "l@x.org")
    assert not is_munged("Name" + " " * MB + "vi", "l@x.org")
    assert parse_subject("Re" + " " * MB + "x").is_reply is False


def test_blank_run_in_a_trailer_line() -> None:
    msg, _ = parse_message(linear.blank_trailer(4 * MB))
    assert msg.trailers == (("Reviewed-by", "x" + " " * (4 * MB) + "y"),)


def test_subject_of_many_bracket_groups() -> None:
    msg, _ = parse_message(linear.brackets(MB))
    tags = msg.tags
    assert tags.tags.count("a") == MB // 4
    assert (tags.counter, tags.total, tags.text) == (1, 2, "x")


def test_a_long_line_of_many_changed() -> None:
    msg, _ = parse_message(linear.changed(4 * MB))
    assert msg.diffstat == (1, 0, 0)


def test_a_long_folded_in_body_header() -> None:
    _, body = parse_message(linear.folded_inbody(MB))
    assert body.inbody["subject"] == "y" + " more" * (MB // 6)
    assert body.section == "Text."


def test_many_unthreaded_numbered_patches() -> None:
    messages = linear.unthreaded(2 * MB)  # 20,971 unthreaded [PATCH 1/2] of one sender
    series = group_series(messages)
    assert len(series) == len(messages)
    assert all(s.missing == [2] for s in series)
