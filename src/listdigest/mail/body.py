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

from listdigest.mail.headers import bytes_to_text, header_fields, param, split_message

_INBODY_NAMES = "From|Subject|Date|Reply-To|Message-I[Dd]|Sender"
_INBODY_RE = re.compile(rf"({_INBODY_NAMES}):[ \t]*(.*)")
_INBODY_START_RE = re.compile(rf"(?:[ \t]*\r?\n)*(?:{_INBODY_NAMES}):".encode())
#: What each line of a body is looked at for, in one pass from the body's start to
#: the diff: a trailer, a diffstat's summary line, a signature line ``-- ``, or the
#: start of the diff (``diff --git``, ``Index:``, ``--- a/`` or a ``---``/``+++``
#: pair), which ends the pass. The pattern starts with the newline, so the regex
#: engine jumps from line to line (memchr) instead of trying every byte of long quoted
#: replies; each alternative starts with other characters, so a line is tried once,
#: and the lookahead turns away the rest (quoted lines, most of a reply) in one test.
#: At most 12 digits a count: a longer number is no diffstat (and would overflow
#: SQLite). A trailer's trailing blanks are stripped after (a lazy match would try each).
_LINE_RE = re.compile(
    rb"\n(?=[-A-Za-z0-9 ])"
    rb"(?:((?:[A-Za-z][A-Za-z0-9]*+-)+by|Fixes|Link|Closes|Cc|CC):[ \t]+(\S[^\n]*)"
    rb"| *(\d{1,12}) files? changed(?:, (\d{1,12}) insertions?\(\+\))?"
    rb"(?:, (\d{1,12}) deletions?\(-\))?"
    rb"|-- (?=(\r?)\n)"
    rb"|(?:diff --git |Index: |--- (?:a/|\S[^\n]*\r?\n\+\+\+ )))"
)
_TEXT_TYPES = ("text/plain", "text/x-patch", "text/x-diff", "text/x-log")
#: The files a diff touches: git's ``diff --git a/X b/X`` line, else ``+++ b/X``.
_GIT_PATH_RE = re.compile(rb"\ndiff --git a/(\S+) ")
_PLAIN_PATH_RE = re.compile(rb"\n\+\+\+ (?:b/)?([^\s]+)")


class Body:
    """What the body of one message tells.

    Only the bytes between the body's start and the diff (or signature) are read,
    and they are decoded to text only when the section is shown: most messages
    of an archive are counted, not displayed.
    """

    __slots__ = ("_charset", "_data", "_delsp", "_diff", "_diffstat", "_end", "_flowed",
                 "_start", "_stripped", "_trailers")

    def __init__(self, data: bytes, start: int, end: int, charset: str | None, *,
                 flowed: bool = False, delsp: bool = False, diff: int = -1,
                 trailers: tuple[tuple[bytes, bytes], ...] = (),
                 diffstat: tuple[int, int, int] | None = None) -> None:
        self._data, self._start, self._end = data, start, end
        self._charset, self._flowed, self._delsp = charset, flowed, delsp
        self._diff, self._trailers, self._diffstat = diff, trailers, diffstat
        self._stripped: tuple[str, dict[str, str]] | None = None

    @property
    def has_diff(self) -> bool:
        """Whether the body holds a diff."""
        return self._diff != -1

    @property
    def paths(self) -> tuple[str, ...]:
        """The files the diff touches, in diff order, each once (what ``path:`` searches
        find): git's ``diff --git`` lines, else the ``+++`` lines of a plain diff."""
        if self._diff == -1:
            return ()
        found = _GIT_PATH_RE.findall(self._data, self._diff - 1)
        if not found:
            found = [p for p in _PLAIN_PATH_RE.findall(self._data, self._diff - 1)
                     if p != b"/dev/null"]
        return tuple(dict.fromkeys(p.decode("utf-8", "replace") for p in found))

    def _text(self) -> str:
        text = bytes_to_text(self._data[self._start:self._end], self._charset)
        if self._flowed:  # unflow takes the CRs off its lines itself
            return unflow(text, self._delsp)
        if "\r" in text:  # one character's search first: CRLF bodies are rare
            text = text.replace("\r\n", "\n")
        return text

    def _split(self) -> tuple[str, dict[str, str]]:
        """The text without its in-body headers, and those headers: decoded once for
        both (a patch sent for its author gives the author and is shown)."""
        if self._stripped is None:
            self._stripped = _strip_inbody(self._text())
        return self._stripped

    @property
    def section(self) -> str:
        """The commit message section: in-body headers, diff and signature removed."""
        return self._split()[0].rstrip()

    @property
    def inbody(self) -> dict[str, str]:
        """In-body header fields (``from``, ``subject``, ``date``), lower-case keys."""
        if not _INBODY_START_RE.match(self._data, self._start, self._end):
            return {}
        return self._split()[1]

    @property
    def diffstat(self) -> tuple[int, int, int] | None:
        """(files changed, insertions, deletions) from the last diffstat summary line."""
        return self._diffstat

    @property
    def trailers(self) -> tuple[tuple[str, str], ...]:
        """Trailers such as ``("Reviewed-by", "A <a@b>")`` that start a line (not quoted)."""
        return tuple((key.decode(), bytes_to_text(value.rstrip(b" \t\r"), self._charset))
                     for key, value in self._trailers)


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
    """Join the soft-broken lines of a ``format=flowed`` text (RFC 3676): one trailing
    CR and one space-stuffing space go from each line, and a line ending in a space
    (other than the signature line ``-- ``) runs on into the next, without that space
    when ``delsp``. Done with replaces over the whole text, not line by line."""
    text = text.replace("\r\n", "\n").removesuffix("\r").replace("\n ", "\n")
    if text.startswith(" "):
        text = text[1:]
    soft_end = text.endswith(" ") and text.rpartition("\n")[2] != "-- "
    text = _join_soft(text, "" if delsp else " ")
    if soft_end and delsp:
        text = text[:-1]
        if text.endswith("\n"):  # a last run of lines that were only a space: gone
            text = text[:-1]
    return text


def _join_soft(text: str, joiner: str) -> str:
    """Every line break after a space becomes ``joiner``, except after the lines that
    are ``-- `` (a signature's start)."""
    parts: list[str] = []
    start = 0
    at = text.find("-- \n")
    while at != -1:
        if at == 0 or text[at - 1] == "\n":
            parts.append(text[start:at].replace(" \n", joiner))
            parts.append("-- \n")
            start = at + 4
        at = text.find("-- \n", at + 1)
    parts.append(text[start:].replace(" \n", joiner))
    return "".join(parts)


def _text_region(fields: dict[str, str], raw: bytes, body_start: int
                 ) -> tuple[bytes, int, str | None]:
    """The text of a message as (bytes, offset where it starts, charset): the raw
    message itself past the header for plain 7/8-bit mail (no copy), decoded bytes
    for quoted-printable, base64 and multipart mail. HTML and other types give
    no text. A decoded text starts with a newline, as a raw body does, so that
    line-start searches need no special case for the first line."""
    ctype = fields.get("content-type", "text/plain")
    main = ctype.split(";", 1)[0].strip().lower()
    if main.startswith("multipart/"):
        data, charset = _multipart_text(ctype, raw[body_start:])
        return b"\n" + data, 1, charset
    if main and main not in _TEXT_TYPES and not main.startswith("text/plain"):
        return b"\n", 1, None
    encoding = fields.get("content-transfer-encoding", "").strip().lower()
    if encoding in ("quoted-printable", "base64"):
        return b"\n" + decode_payload(raw[body_start:], encoding), 1, param(ctype, "charset")
    return raw, body_start, param(ctype, "charset")


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
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):  # the closing delimiter
            break
        chunk = chunk.partition(b"\n")[2]
        block, part_start = split_message(chunk)
        part = chunk[part_start:]
        fields = header_fields(block)
        part_type = fields.get("content-type", "text/plain")
        main = part_type.split(";", 1)[0].strip().lower()
        if main.startswith("multipart/"):
            data, cs = _multipart_text(part_type, part, depth + 1)
        elif main in _TEXT_TYPES:
            data = decode_payload(part, fields.get("content-transfer-encoding", ""))
            cs = param(part_type, "charset")
            if (param(part_type, "format") or "").lower() == "flowed":
                # Unflowing touches only ASCII spaces and newlines: Latin-1 maps bytes 1:1.
                delsp = (param(part_type, "delsp") or "").lower() == "yes"
                data = unflow(data.decode("latin-1"), delsp).encode("latin-1")
        else:
            continue
        if data:  # each part in its own charset, re-encoded to one (UTF-8)
            text = bytes_to_text(data, cs).rstrip("\r\n") + "\n"
            texts.append(text.encode("utf-8"))
    return b"\n".join(texts), "utf-8"


def parse_body(fields: dict[str, str], raw: bytes, body_start: int) -> Body:
    """Locate the commit-message section of a message body: after the header, up to
    the diff or the ``-- `` signature, whichever comes first; with the trailers and the
    last diffstat summary line in it."""
    data, start, charset = _text_region(fields, raw, body_start)
    diff, lines = scan_lines(data, start)
    end = len(data) if diff == -1 else max(diff, start)
    # The first "-- " line ending in LF, else the first in CRLF, each wholly before the
    # diff; else a "-- " just before it.
    sig = -1
    if lines:  # most replies have no trailer, diffstat or signature line
        sig = next((m.start() for m in lines if m.group(6) == b"" and m.start() + 5 <= end), -1)
        if sig == -1:
            sig = next((m.start() for m in lines if m.group(6) and m.start() + 6 <= end), -1)
    if sig == -1 and data.endswith(b"\n-- ", start - 1, end):
        sig = end - 4
    if sig != -1:
        end = max(sig, start)
    trailers: tuple[tuple[bytes, bytes], ...] = ()
    diffstat = None
    if lines:
        trailers = tuple((m.group(1), m.group(2)) for m in lines
                         if m.group(1) is not None and m.end() <= end)
        stat = next((m for m in reversed(lines) if m.group(3) is not None and m.end() <= end),
                    None)
        if stat is not None:
            diffstat = int(stat.group(3)), int(stat.group(4) or 0), int(stat.group(5) or 0)
    ctype = fields.get("content-type", "")
    flowed = (param(ctype, "format") or "").lower() == "flowed"
    delsp = (param(ctype, "delsp") or "").lower() == "yes"
    return Body(data, start, end, charset, flowed=flowed, delsp=delsp, diff=diff,
                trailers=trailers, diffstat=diffstat)


def scan_lines(data: bytes, start: int) -> tuple[int, list[re.Match[bytes]]]:
    """Where the diff starts (-1: nowhere), and the trailer, diffstat and signature
    lines before it, from one pass of :data:`_LINE_RE` over the lines from ``start``
    (the byte before it is a newline, as after a header). The diff starts at the first
    line that is ``diff --git``, ``Index:``, ``--- a/`` or a ``---``/``+++`` pair; each
    try reads at most its own line and the next."""
    found: list[re.Match[bytes]] = []
    for m in _LINE_RE.finditer(data, max(start - 1, 0)):
        if m.lastindex is None:  # the diff's alternative has no group
            return m.start(), found
        found.append(m)
    return -1, found


def _strip_inbody(text: str) -> tuple[str, dict[str, str]]:
    """Remove in-body header lines at the top of the body (and the blank line after)."""
    stripped = text.lstrip("\n")
    if not _INBODY_RE.match(stripped):
        return stripped, {}
    lines = stripped.split("\n")
    parts: dict[str, list[str]] = {}  # joined once: += on a long fold would be quadratic
    i = 0
    key = ""
    while i < len(lines):
        line = lines[i]
        if m := _INBODY_RE.match(line):
            key = m.group(1).lower()
            parts.setdefault(key, [m.group(2).strip()])
        elif key and line[:1] in (" ", "\t") and line.strip():
            parts[key].append(line.strip())
        else:
            break
        i += 1
    inbody = {k: " ".join(v) for k, v in parts.items()}
    while i < len(lines) and not lines[i].strip():
        i += 1
    return "\n".join(lines[i:]), inbody


_SUMMARY_LINE_RE = re.compile(
    r"(?m)^ *\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?$")
_COVER_TAIL_RE = re.compile(
    r"(?:\n(?:base-commit|prerequisite-patch-id|change-id): *\S*|\n[ \t]*)+\Z")


def cover_text(section: str) -> str:
    """A cover letter's text as a digest shows it: up to its diffstat's summary line;
    without one, without the trailing ``base-commit:``, ``prerequisite-patch-id:`` and
    ``change-id:`` lines (they go to the JSON)."""
    ends = [m.end() for m in _SUMMARY_LINE_RE.finditer(section)]
    if ends:
        return section[:ends[-1]]
    return _COVER_TAIL_RE.sub("", section)
