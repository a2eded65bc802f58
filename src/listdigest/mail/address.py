"""Who wrote a message: parse addresses and undo the munging of list relays.

Lists rewrite the From of mail whose domain publishes a strict DMARC policy:
Mailman sends ``Name via List <list@…>``, Google Groups ``'Name' via list
<list@googlegroups.com>``, and the kernel.org web relay ``Name via B4 Relay
<devnull+…@kernel.org>``. Each keeps the real sender in ``X-Original-From`` or
``Reply-To``, which we take instead.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from functools import lru_cache

from listdigest.mail.headers import decode_words

# No two quantifiers here can share a run of blanks (a name's blanks are stripped after),
# and "via" is looked for only where a run of blanks starts: a From holding megabytes
# of blanks costs linear time, not quadratic.
_SIMPLE_RE = re.compile(r'(?:\s*+"([^"\\]*)"\s*|([^"<>()@,;:\\]*))<([^<>\s@]+@[^<>\s]+)>\s*$')
_BARE_RE = re.compile(r"\s*+<?([^<>\s@\"(),;:]+@[^<>\s\"(),;:]+)>?\s*$")
_VIA_RE = re.compile(r"(?i)(?<!\s)\s++via\s++\S")
_SPECIALS_RE = re.compile(r"[\s<>\"',;:()]+")
_QUOTES = "'\"` "


def parse_address(value: str) -> tuple[str, str]:
    """``(display name, lower-cased address)`` of a From-like field; never raises.
    Remembered when short: a list's mail comes from a few thousand senders, each
    written the same way (a long value, such as fuzzed mail's, is not kept)."""
    return _address(value) if len(value) <= 200 else _address.__wrapped__(value)


@lru_cache(maxsize=4096)
def _address(value: str) -> tuple[str, str]:
    """:func:`parse_address`, read from the value."""
    if not value:
        return "", ""
    if m := _SIMPLE_RE.match(value):  # the common forms, without email.utils' parser
        name = m.group(1) if m.group(1) is not None else m.group(2).strip()
        return decode_words(name).strip(_QUOTES), m.group(3).lower()
    if m := _BARE_RE.match(value):
        return "", m.group(1).lower()
    try:
        name, addr = parseaddr(value)
    except Exception:  # email.utils is lenient, but fuzzed input has broken it before
        name, addr = "", ""
    if not addr and "@" in value:  # parseaddr gives up on some broken forms
        addr = next((t for t in _SPECIALS_RE.split(value) if "@" in t[1:-1]), "")
        name = value.split("<", 1)[0]
    name = decode_words(name).strip(_QUOTES)
    return name, addr.strip().lower()


def is_munged(name: str, addr: str) -> bool:
    """Whether a From looks rewritten by a relay (``… via …`` or a devnull relay)."""
    return bool(_VIA_RE.search(name)) or addr.startswith("devnull+")


def real_sender(fields: dict[str, str]) -> tuple[str, str]:
    """The sender of a message, with relay munging undone."""
    name, addr = parse_address(fields.get("from", ""))
    if is_munged(name, addr):
        for key in ("x-original-from", "reply-to"):
            real_name, real_addr = parse_address(fields.get(key, ""))
            if "@" in real_addr:
                return real_name or _unvia(name), real_addr
    return name, addr


def _unvia(name: str) -> str:
    m = _VIA_RE.search(name)
    return (name[:m.start()] if m else name).strip(_QUOTES)
