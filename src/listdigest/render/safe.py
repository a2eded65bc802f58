"""What mail may hold that no page, feed or header may show: control characters (NUL
included, illegal in XML and a parse error in HTML) and the bidi controls that make
text read differently from how it is stored (CVE-2021-42574). Every format drops them
from every value it shows; escaping for the format itself is each renderer's job."""

from __future__ import annotations

import re

_UNSAFE_RE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (not tab, newline, CR) and C1 controls
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, isolates
    "\ud800-\udfff\ufffe\uffff]"  # lone surrogates and non-characters
)


def clean(text: str) -> str:
    """``text`` without control, bidi-control and non-characters; CRLF and CR become LF."""
    return _UNSAFE_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str) -> str:
    """``clean`` for a value shown on one line (a subject, a name, a header): line
    breaks and tabs become spaces."""
    return " ".join(clean(text).split())
