"""Show that every parse stays linear on the inputs that once made it quadratic.

Each hostile input is built at 1x, 4x and 16x its base size and parsed; the cost per
byte (or per message) of each size is printed with its ratio to the 1x cost. A
linear parse keeps the ratios near 1; a quadratic one would show about 4 and 16.
Run it with ``make bench-linear`` (or ``.venv/bin/python bench/linear.py``); it
exits 1 when a 16x ratio passes ``--bound`` (default 3, generous for a noisy
machine), so it can guard a change.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from listdigest.mail.message import Message, parse_message
from listdigest.model.series import group_series

SCALES = (1, 4, 16)


def _mail(headers: bytes, body: bytes, sender: bytes = b"A <a@example.org>") -> bytes:
    return (b"From: " + sender + b"\nDate: Mon, 3 Mar 2025 10:00:00 +0000\n"
            b"Message-ID: <linear@example.org>\n" + headers + b"\n" + body)


def blank_header(n: int) -> bytes:
    """A From with runs of n/4 blanks around the name, a Subject and a reply prefix
    followed by n/4 blanks each."""
    q = b" " * (n // 4)
    return _mail(b"Subject: Re" + q + b"[PATCH]" + q + b"x\n", b"Body.\n",
                 sender=q + b"Name" + q + b"<x@example.org>")


def blank_trailer(n: int) -> bytes:
    """A trailer line holding a run of n blanks inside its value."""
    return _mail(b"Subject: Re: x\n", b"Reviewed-by: x" + b" " * n + b"y\n")


def brackets(n: int) -> bytes:
    """A subject of n/4 bracket groups."""
    return _mail(b"Subject: " + b"[a] " * (n // 4) + b"[PATCH 1/2] x\n", b"Body.\n")


def changed(n: int) -> bytes:
    """A line of n/8 " changed" before the diffstat."""
    return _mail(b"Subject: [PATCH] x\n",
                 b"x\n---\n" + b" changed" * (n // 8) + b"\n 1 file changed\n")


def folded_inbody(n: int) -> bytes:
    """An in-body Subject folded over n/6 continuation lines."""
    return _mail(b"Subject: [PATCH] x\n",
                 b"From: B <b@example.org>\nSubject: y\n" + b" more\n" * (n // 6) + b"\nText.\n")


def unthreaded(n: int) -> list[Message]:
    """n/100 unthreaded [PATCH 1/2] from one sender within a day: each starts a series."""
    return [parse_message(b"From: A <a@example.org>\nSubject: [PATCH 1/2] x\n"
                          b"Date: Mon, 3 Mar 2025 10:00:%02d +0000\n"
                          b"Message-ID: <u%d@example.org>\n\nx\n" % (i % 60, i))[0]
            for i in range(n // 100)]


def _parse(raw: bytes) -> object:
    msg, body = parse_message(raw)
    return msg, body.section, body.inbody


CASES: list[tuple[str, Callable[[int], object], Callable[[object], object], int]] = [
    ("blank runs in header lines", blank_header, lambda x: _parse(x), 1 << 18),  # type: ignore[arg-type]
    ("blank run in a trailer line", blank_trailer, lambda x: _parse(x), 1 << 18),  # type: ignore[arg-type]
    ("subject of many bracket groups", brackets, lambda x: _parse(x), 1 << 18),  # type: ignore[arg-type]
    ('a line of many " changed"', changed, lambda x: _parse(x), 1 << 20),  # type: ignore[arg-type]
    ("long folded in-body header", folded_inbody, lambda x: _parse(x), 1 << 18),  # type: ignore[arg-type]
    ("many unthreaded numbered patches", unthreaded, group_series, 1 << 18),  # type: ignore[arg-type]
]


def _time(fn: Callable[[object], object], arg: object, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    ap.add_argument("--bound", type=float, default=3.0,
                    help="fail when a 16x cost per unit passes this ratio (default 3)")
    args = ap.parse_args()
    print(f"{'input':34} {'units':>10} {'seconds':>9} {'ns/unit':>9} {'ratio':>6}")
    worst = 0.0
    for name, make, fn, base in CASES:
        first = 0.0
        for scale in SCALES:
            n = base * scale
            data = make(n)
            seconds = _time(fn, data, args.repeat)
            per = seconds / n * 1e9
            first = first or per
            ratio = per / first
            if scale == SCALES[-1]:
                worst = max(worst, ratio)
            print(f"{name if scale == 1 else '':34} {n:>10,} {seconds:>9.4f} {per:>9.2f} "
                  f"{ratio:>6.2f}")
    print(f"worst 16x ratio {worst:.2f} (bound {args.bound})")
    return 0 if worst <= args.bound else 1


if __name__ == "__main__":
    sys.exit(main())
