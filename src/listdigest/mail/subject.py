"""Read the tags of a mailing-list subject: reply prefixes and leading bracket tags.

The rules follow the precedents of b4 and patchwork:

- a *reply* starts with a reply or forward prefix (``Re:``, ``Fwd:``, ``AW:``,
  ``Sv:``, ``回复:`` …), possibly after leading bracket groups such as a list tag;
- *tags* are the tokens of the leading ``[...]`` groups, split at commas and
  spaces: ``[PATCH net-next,v3,1/2]`` → ``PATCH``, ``net-next``, ``v3``, ``1/2``;
- a subject is a *patch* when a tag starts with ``PATCH`` (``PATCH``, ``PATCHv2``,
  ``RESEND PATCH``, ``RFC PATCH`` all do); ``vN`` (or ``PATCHvN``) is the version,
  ``N/M`` (or Mercurial's ``N of M``) the counter, ``0/M`` a cover letter;
- a subject is *numbered* when its tags hold a counter or a version (``[RFC bpf-next
  00/13]``, ``[net 0/2]``, ``[RFCv2 1/7]``): with a diff in its body (or as a ``0/N``
  cover letter) such a message is a patch email even without ``PATCH``, as b4 takes it;
- ``GIT PULL`` (or ``PULL``) marks a pull request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_REPLY_RE = re.compile(  # English, German, Nordic, Dutch, Polish, French, Italian, CJK
    r"(?i)(?:re|fwd?|aw|sv|vs|antw|odp|wg|tr|rif|res|ynt|r|回复|回覆|答复|返信)"
    r"\s*+(?:\[\d+\]\s*+)?[:\uff1a]\s*"  # possessive: a run of blanks is tried once
)
_BRACKET_RE = re.compile(r"\[([^\]]*)\]\s*(?::\s*)?")  # "[Patch 2/2]: text" too
_TOKEN_SPLIT_RE = re.compile(r"[,:\s]+")  # [PATCH net-next,v3,1/2], [stable:PATCH]
#: Numbers have at most 5 digits (zero padding aside): the longest series sent had 2,298
#: patches, and a bigger number (``1/100000000``, a thousand-digit one) is a plain tag,
#: never a counter that would list 10^8 missing patches or overflow SQLite.
_VERSION_RE = re.compile(r"(?i)^(?:patch-?|rfc-?)?v0*(\d{1,5})$")  # v2, PATCHv2, RFCv2
#: Tags that mark a patch sent again inside its own thread to replace one posting:
#: ``[PATCH v5 3/6 (fix)]``, ``[PATCH v5 3/6 REPLACE]``.
_REPLACEMENT_RE = re.compile(r"(?i)^\(?(?:fix|fixed|fixup|replace|replacement|updated?)\)?$")
_COUNTER_RE = re.compile(r"^0*(\d{1,5})/0*(\d{1,5})$")
_OF_RE = re.compile(r"(?i)\b(\d+)\s+of\s+(\d+)\b")


@dataclass(frozen=True, slots=True)
class Subject:
    """A subject line and what its prefixes say."""

    full: str
    """The whole decoded subject, white space collapsed."""
    text: str
    """The subject without reply prefixes and leading bracket groups."""
    tags: tuple[str, ...]
    """Tokens of the leading bracket groups, in order."""
    is_reply: bool
    is_patch: bool
    is_pull: bool
    version: int
    counter: int | None
    total: int | None

    @property
    def is_cover(self) -> bool:
        """A cover letter: a patch numbered 0/N."""
        return self.is_patch and self.counter == 0

    @property
    def is_numbered(self) -> bool:
        """Whether the tags hold a counter or a version (``[net 0/2]``, ``[RFC v2]``)."""
        return self.counter is not None or any(_VERSION_RE.match(t) for t in self.tags)

    @property
    def is_replacement(self) -> bool:
        """Whether a tag marks a replacement of one patch: ``(fix)``, ``REPLACE``."""
        return any(_REPLACEMENT_RE.match(t) for t in self.tags)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Tags other than PATCH, version and counter: RFC, RESEND, a tree name …"""
        return tuple(
            t for t in self.tags
            if not (t.upper().startswith("PATCH") or _VERSION_RE.match(t) or _COUNTER_RE.match(t)
                    or _REPLACEMENT_RE.match(t))
        )


@lru_cache(maxsize=8192)
def parse_subject(full: str) -> Subject:
    """Read reply prefixes and bracket tags off a decoded subject line."""
    rest = full.strip()
    is_reply = False
    tags: list[str] = []
    pos = 0  # prefixes are matched at an offset: slicing after each would be quadratic
    while True:
        if m := _REPLY_RE.match(rest, pos):
            is_reply = True
            pos = m.end()
            continue
        if m := _BRACKET_RE.match(rest, pos):
            group = m.group(1)
            # (the search only where "of" is: most groups are "PATCH v2 3/7")
            of = _OF_RE.search(group) if "of" in group.lower() else None
            if of:
                group = group[: of.start()] + f" {of.group(1)}/{of.group(2)} " + group[of.end():]
            tags.extend(t for t in _TOKEN_SPLIT_RE.split(group) if t)
            pos = m.end()
            continue
        break
    rest = rest[pos:]
    upper = [t.upper() for t in tags]
    is_patch = any(t.startswith("PATCH") for t in upper)
    version = 1
    counter = total = None
    for t in tags:
        tag_version, tag_counter = _numbers(t)
        if tag_version is not None and version == 1:
            version = tag_version
        elif tag_counter is not None and counter is None:
            counter, total = tag_counter
    is_pull = "PULL" in upper or "GIT PULL" in " ".join(upper)
    return Subject(
        full=full, text=rest.strip(), tags=tuple(tags), is_reply=is_reply,
        is_patch=is_patch and not is_reply, is_pull=is_pull and not is_reply,
        version=version, counter=counter, total=total,
    )


@lru_cache(maxsize=4096)
def _numbers(tag: str) -> tuple[int | None, tuple[int, int] | None]:
    """The version (``v2``) and the counter (``3/7``) a tag gives, if any: read once per
    distinct tag (a list's subjects use a few hundred)."""
    v = _VERSION_RE.match(tag)
    c = _COUNTER_RE.match(tag)
    return (int(v.group(1)) if v else None,
            (int(c.group(1)), int(c.group(2))) if c else None)
