"""Split a raw message into header fields fast, and decode header text.

Python's ``email`` package with its default policy parses a whole message about
ten times slower than git reads it; a digest needs a dozen header fields of every
message and the body of only a few. So the header block is cut out of the bytes
and its fields taken with one regular expression (the compat32 reading: raw
values, unfolded), and only values that carry RFC 2047 encoded words pay for
decoding. Bad charsets and raw 8-bit bytes never raise: they fall back.
"""

from __future__ import annotations

import binascii
import codecs
import re
from functools import lru_cache

_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS_RE = re.compile(r"(\?=)[ \t\r\n]+(?==\?[^?\s]+\?[bBqQ]\?)")
#: A UTF-16 surrogate left alone by a decoder (``utf-7``, ``unicode_escape``): no text
#: holds one, and SQLite, JSON files and terminals refuse to encode it.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")

#: Fields a digest or the index reads. Matching only these names keeps the scan of
#: a header block (often 50 fields of Received and DKIM lines) inside the regex engine.
WANTED = (
    "from", "subject", "date", "message-id", "in-reply-to", "references", "list-id",
    "x-original-from", "reply-to", "content-type", "content-transfer-encoding",
)


def _by_first_letter(names: tuple[str, ...]) -> str:
    """``f(?:rom)|s(?:ubject)|c(?:ontent-type|ontent-transfer-encoding)…``: the same
    alternation grouped by first letter, so that each line of a block costs one test
    of its first letter, not one per name (a third less time for the whole scan of a
    block, which has dozens of Received and DKIM lines)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name[0], []).append(re.escape(name[1:]))
    return "|".join(f"{c}(?:{'|'.join(rest)})" for c, rest in groups.items())


#: Names are found in a lower-cased copy of the block, each after a newline: a
#: pattern that starts with a literal lets the regex engine skip ahead with memchr.
_FIELD_RE = re.compile(
    rb"\n(" + _by_first_letter(WANTED).encode() + rb")[ \t]*:[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)"
)


#: The end of a header block. The regex engine finds it faster than ``bytes.find``,
#: which stops at every newline of a header (most of its bytes' neighbours).
_BLANK_LINE_RE = re.compile(rb"\n\n")


def split_message(raw: bytes) -> tuple[bytes, int]:
    """Cut ``raw`` at the first empty line: the header block, and the offset where the
    body starts (an offset, not a copy: bodies are most of an archive's bytes)."""
    m = _BLANK_LINE_RE.search(raw)
    nl = -1 if m is None else m.start()
    end = len(raw) if nl == -1 else nl
    # CRLF mail is rare: a search for one byte (memchr) tells whether to look for it.
    if raw.find(b"\r", 0, end) != -1 and (crlf := raw.find(b"\r\n\r\n", 0, end)) != -1:
        return raw[:crlf], crlf + 4
    if nl == -1:
        return raw, len(raw)
    return raw[:nl], nl + 2


def header_fields(block: bytes) -> dict[str, str]:
    """The wanted fields of a header block, first occurrence wins, values unfolded and
    still undecoded (RFC 2047 words intact); raw 8-bit bytes are read as UTF-8, else
    as Windows-1252, the two charsets such bytes are found in."""
    fields: dict[str, str] = {}
    if block.startswith(b"From "):  # mbox separator line
        block = block.partition(b"\n")[2]
    block = b"\n" + block
    for m in _FIELD_RE.finditer(block.lower()):  # same offsets: only ASCII changes case
        key = _NAMES[m.group(1)]
        if key not in fields:
            lo, hi = m.span(2)
            raw = block[lo:hi]
            try:  # bytes_to_text without a charset, inline: a dozen values a message
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                value = raw.decode("cp1252", "replace")
            if "\n" in value:  # every newline of a value starts a folded line
                value = _FOLD_RE.sub("", value) if "\r" in value else value.replace("\n", "")
            fields[key] = value.strip()
    return fields


_NAMES = {name.encode(): name for name in WANTED}


def bytes_to_text(data: bytes, charset: str | None = None) -> str:
    """Decode bytes in ``charset`` if given and known, else UTF-8, else Windows-1252;
    never raises (undecodable bytes become U+FFFD only as a last resort)."""
    if charset:
        charset = _codec(charset)
        if charset is not None:
            try:
                text = data.decode(charset)
            except (UnicodeDecodeError, LookupError, ValueError):
                pass
            else:
                return text if text.isascii() else _SURROGATE_RE.sub("\ufffd", text)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _codec(charset: str) -> str | None:
    """A charset name as written, cleaned, when Python has a codec for it, else None;
    remembered (a list names a few dozen, and each text and trailer asks)."""
    try:
        return _CODECS[charset]
    except KeyError:
        pass
    name: str | None = charset.strip().strip('"').lower()
    try:
        codecs.lookup(name or "")
    except (LookupError, ValueError):
        name = None
    if len(_CODECS) < 1000 and len(charset) <= 100:  # fuzzed mail names any charset
        _CODECS[charset] = name
    return name


_CODECS: dict[str, str | None] = {}


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (``=?charset?q?…?=``) and collapse white space.

    White space between two encoded words is dropped, as the RFC says; an encoded
    word with an unknown charset or broken payload is decoded as best it can be.
    """
    if "=?" in value:
        value = _BETWEEN_WORDS_RE.sub(r"\1", value)
        value = _ENCODED_WORD_RE.sub(_decode_word, value)
    return " ".join(value.split())  # str.split() splits where re's \s matches


def _decode_word(m: re.Match[str]) -> str:
    charset, encoding, payload = m.group(1), m.group(2).lower(), m.group(3)
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
    try:
        if encoding == "q":
            q = payload.replace("_", " ").encode("ascii", "replace")
            data = binascii.a2b_qp(q, header=True)
        else:
            data = binascii.a2b_base64(payload.encode("ascii", "replace") + b"===")
    except (binascii.Error, ValueError):
        return m.group(0)
    return bytes_to_text(data, charset)


def param(value: str, name: str) -> str | None:
    """A parameter of a structured field such as Content-Type (``charset``, ``format``);
    remembered when short, as a list's messages repeat a few dozen Content-Types."""
    return _param(value, name) if len(value) <= 500 else _param.__wrapped__(value, name)


@lru_cache(maxsize=4096)
def _param(value: str, name: str) -> str | None:
    """:func:`param`, read from the value."""
    if "=" not in value or name not in value.lower():  # most fields lack the one asked for
        return None
    pattern = _PARAM_RES.get(name)
    if pattern is None:
        pattern = _PARAM_RES[name] = re.compile(
            rf"(?i)(?:^|;)\s*{re.escape(name)}\s*=\s*(\"[^\"]*\"|[^;\s]*)")
    m = pattern.search(value)
    if not m:
        return None
    return m.group(1).strip('"') or None


#: One compiled pattern per parameter name asked for (a handful).
_PARAM_RES: dict[str, re.Pattern[str]] = {}
