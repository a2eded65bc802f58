"""The text of a message and the parts a digest shows: commit message, diffstat, trailers.

A patch email written by ``git format-patch`` reads, top to bottom: optional
in-body headers (``From:``, ``Date:``, ``Subject:``) and a blank line when the
sender is not the author; the commit message with its trailers; ``---``; notes
and the diffstat; the diff; and a ``-- `` signature. The *commit message
section* a digest shows is everything from after the in-body headers to the
start of the diff (``diff --git``, ``--- a/``, ``Index:``), keeping the notes
and diffstat, dropping the signature and trailing blank lines.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from listdigest.mail.headers import bytes_to_text, header_fields, param, split_message

_DIFF_MARKERS = (b"\ndiff --git ", b"\nIndex: ", b"\n--- ")
_OLD_FILE_RE = re.compile(rb"--- (?:a/|\S[^\n]*\r?\n\+\+\+ )")
_INBODY_RE = re.compile(r"(From|Subject|Date|Reply-To|Message-I[Dd]|Sender):[ \t]*(.*)")
_DIFFSTAT_RE = re.compile(
    r" *(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?"
)
_TRAILER_RE = re.compile(r"((?:[A-Za-z][A-Za-z0-9]*-)+by|Fixes|Link|Closes|Cc|CC):[ \t]+(\S.*)")
#: Trailers are found by plain substring search for these, then checked at the line
#: start: over megabytes of quoted replies that is several times faster than ``(?m)^``.
_TRAILER_NEEDLES = ("-by:", "\nFixes:", "\nLink:", "\nCloses:", "\nCc:", "\nCC:")
_TEXT_TYPES = ("text/plain", "text/x-patch", "text/x-diff", "text/x-log")


@dataclass(frozen=True, slots=True)
class Body:
    """What the body of one message tells."""

    section: str
    """The commit message section: in-body headers, diff and signature removed."""
    inbody: dict[str, str]
    """In-body header fields (``from``, ``subject``, ``date``), lower-case keys."""
    has_diff: bool
    diffstat: tuple[int, int, int] | None
    """(files changed, insertions, deletions) from the diffstat summary line."""
    trailers: tuple[tuple[str, str], ...]
    """Trailers such as ``("Reviewed-by", "A <a@b>")`` outside quoted text."""


def decode_payload(data: bytes, encoding: str) -> bytes:
    """Undo a Content-Transfer-Encoding; broken base64 keeps what decodes."""
    encoding = encoding.strip().lower()
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    if encoding == "base64":
        try:
            return binascii.a2b_base64(data)
        except (binascii.Error, ValueError):
            out = []
            for line in data.split(b"\n"):
                try:
                    out.append(binascii.a2b_base64(line))
                except (binascii.Error, ValueError):
                    continue
            return b"".join(out)
    return data


def unflow(text: str, delsp: bool) -> str:
    """Join the soft-broken lines of a ``format=flowed`` text (RFC 3676)."""
    out: list[str] = []
    pending = ""
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line.endswith(" ") and line != "-- ":
            pending += line[:-1] if delsp else line
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return "\n".join(out)


def text_bytes(fields: dict[str, str], body: bytes) -> tuple[bytes, str | None]:
    """The text part of a message as bytes with its charset: the body itself for a
    single-part message, the text/plain and patch parts joined for multipart mail
    (HTML and attachments of other types are ignored)."""
    ctype = fields.get("content-type", "text/plain")
    main = ctype.split(";", 1)[0].strip().lower()
    if main.startswith("multipart/"):
        return _multipart_text(ctype, body)
    if main and main not in _TEXT_TYPES and not main.startswith("text/plain"):
        return b"", None
    data = decode_payload(body, fields.get("content-transfer-encoding", ""))
    return data, param(ctype, "charset")


def _multipart_text(ctype: str, body: bytes, depth: int = 0) -> tuple[bytes, str | None]:
    """Join the text parts of a multipart body, split at its boundary lines.

    A direct split, because ``email``'s feed parser costs more for the few
    multipart messages of a list than all header parsing of the rest.
    """
    boundary = param(ctype, "boundary")
    if not boundary or depth > 8:
        return b"", None
    delimiter = b"\n--" + boundary.encode("utf-8", "replace")
    chunks = (b"\n" + body).split(delimiter)
    texts: list[bytes] = []
    charset = None
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):  # the closing delimiter
            break
        block, part = split_message(chunk.partition(b"\n")[2])
        fields = header_fields(block)
        part_type = fields.get("content-type", "text/plain")
        main = part_type.split(";", 1)[0].strip().lower()
        if main.startswith("multipart/"):
            data, cs = _multipart_text(part_type, part, depth + 1)
        elif main in _TEXT_TYPES:
            data = decode_payload(part, fields.get("content-transfer-encoding", ""))
            cs = param(part_type, "charset")
        else:
            continue
        if data:
            texts.append(data.removesuffix(b"\r").rstrip(b"\n") + b"\n")
            charset = charset or cs
    return b"\n".join(texts), charset


def to_text(data: bytes, fields: dict[str, str], charset: str | None) -> str:
    """Decode body bytes to text, unflowing ``format=flowed`` and normalising newlines."""
    text = bytes_to_text(data, charset).replace("\r\n", "\n")
    ctype = fields.get("content-type", "")
    if (param(ctype, "format") or "").lower() == "flowed":
        text = unflow(text, (param(ctype, "delsp") or "").lower() == "yes")
    return text


def parse_body(fields: dict[str, str], body: bytes) -> Body:
    """Read the commit-message section, in-body headers, diffstat and trailers."""
    data, charset = text_bytes(fields, body)
    start = diff_start(data)
    has_diff = start != -1
    head = data[:start] if has_diff else data
    text = "\n" + to_text(head, fields, charset)
    sig = text.find("\n-- \n")
    if sig != -1 or text.endswith("\n-- "):
        text = text[: sig if sig != -1 else len(text) - 4]
    text, inbody = _strip_inbody(text[1:])
    section = text.rstrip()
    return Body(section, inbody, has_diff, _diffstat(section), _trailers(section))


def _line_at(text: str, pos: int) -> tuple[int, str]:
    """The start offset and text of the line holding ``pos``."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, text[start : end if end != -1 else len(text)]


def _diffstat(section: str) -> tuple[int, int, int] | None:
    """The last diffstat summary line: ``N files changed, I insertions(+), D deletions(-)``."""
    pos = section.rfind(" changed")
    while pos != -1:
        _, line = _line_at(section, pos)
        if d := _DIFFSTAT_RE.match(line):
            return int(d.group(1)), int(d.group(2) or 0), int(d.group(3) or 0)
        pos = section.rfind(" changed", 0, pos)
    return None


def _trailers(section: str) -> tuple[tuple[str, str], ...]:
    """Trailer lines (``Key: value``) that start a line, i.e. are not quoted."""
    text = "\n" + section
    found: dict[int, tuple[str, str]] = {}
    for needle in _TRAILER_NEEDLES:
        pos = text.find(needle)
        while pos != -1:
            start, line = _line_at(text, pos + (needle[0] == "\n"))
            if start not in found and (m := _TRAILER_RE.fullmatch(line.rstrip())):
                found[start] = (m.group(1), m.group(2))
            pos = text.find(needle, pos + 1)
    return tuple(found[k] for k in sorted(found))


def diff_start(data: bytes) -> int:
    """Offset of the first line that starts a diff (``diff --git``, ``Index:``, ``--- a/``
    or a ``---``/``+++`` pair), or -1. Found with ``bytes.find``, which is many times
    faster than a multi-line regular expression over a large patch."""
    data_nl = b"\n" + data
    best = -1
    for marker in _DIFF_MARKERS:
        pos = data_nl.find(marker)
        while pos != -1 and (best == -1 or pos < best):
            if marker != b"\n--- " or _OLD_FILE_RE.match(data_nl, pos + 1):
                best = pos
                break
            pos = data_nl.find(marker, pos + 1)
    return best


def _strip_inbody(text: str) -> tuple[str, dict[str, str]]:
    """Remove in-body header lines at the top of the body (and the blank line after)."""
    stripped = text.lstrip("\n")
    if not _INBODY_RE.match(stripped):
        return stripped, {}
    lines = stripped.split("\n")
    inbody: dict[str, str] = {}
    i = 0
    key = ""
    while i < len(lines):
        line = lines[i]
        if m := _INBODY_RE.match(line):
            key = m.group(1).lower()
            inbody.setdefault(key, m.group(2).strip())
        elif key and line[:1] in (" ", "\t") and line.strip():
            inbody[key] += " " + line.strip()
        else:
            break
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    return "\n".join(lines[i:]), inbody
