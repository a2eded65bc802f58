"""Tell from one reply that a series was applied or queued, and where.

Maintainers say so in a few set forms: patchwork-bot's ``This series was applied
to netdev/net-next.git (main)`` with a summary of commit links, b4's thank-you
mail (``Applied to kvm-x86 next, thanks!`` or a custom opening, then
``[1/2] subject`` and ``commit: <id>`` per patch), and hand-written notes
(``Applied patches 3-12``, ``Queued for 6.18, thanks``). A note counts only when it
opens a paragraph of the reply's own (unquoted) text: a sentence that merely
contains "applied" ("with this patch applied, it crashes", "can this be
applied?") is discussion, and so are testers' reports ("applied locally",
"applied on top of … and this breaks", "applied it and tested").

Every line is cut to :data:`_MAX_LINE` characters and every pattern is anchored
at the start of a paragraph or line, so the work is linear in the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

#: Characters of one line (and of one paragraph's opening) looked at: a note is short.
_MAX_LINE = 300
_OPENING_LINES = 3
#: A longer "tree name" is a cut line, not a name.
_MAX_NAME = 120


@dataclass(frozen=True, slots=True)
class AppliedNote:
    """What an "applied" reply says: where, which patches, as which commits."""

    tree: str | None
    """The tree named (``netdev/net-next.git``, ``kvm-x86``, ``arm64``), if any."""
    branch: str | None
    """The branch named (``main``, ``next``, ``for-next/misc``), if any."""
    patches: tuple[int, ...] | None
    """None: every patch the reply is about (the series for a reply to its cover
    letter, the patch for a reply to one patch); else the patch numbers named."""
    commits: tuple[str, ...]
    """Commit ids listed (b4 thank-you mails, patchwork-bot summaries)."""
    queued: bool
    """The maintainer said "queued" rather than "applied"."""


#: Cheap prefilter over a raw message: every note has one of these words, which all end
#: in "ed". A search for the literal "ed" runs at memory speed and checks the few letters
#: before each hit, where an alternation of the words would try every byte (ten times
#: slower). Misses: a body in base64, and a b4 listing under an opening without them.
APPLIED_HINT = re.compile(rb"ed(?<=plied|ueued|ushed|erged|icked)")

_GREETING_RE = re.compile(r"(?i)(?:hi|hello|hey|dear|thanks|thank you)\b[^.!?]{0,40}[,:!]?$")

_VERB = r"(?P<verb>applied|queued|picked(?: up)?|pushed|merged)"
_OPENER_RE = re.compile(
    r"(?i)(?:(?:thanks|thank you|ok|okay|great|nice|cool|good)(?: all| both)?"
    r"(?: for (?:the |this |your )?(?:patch(?:es)?|series|fix|fixes|update|contribution|work))?"
    r"[,.!]* )?"
    r"(?:(?:and |so )?(?:i'?ve|i have|i|we'?ve|we have|now|finally|also|all|just"
    r"|provisionally|manually)(?: now| just| also| provisionally)? )*"
    r"(?P<what>(?:(?:the |this |whole |entire |all )*(?:series|patch|patches|patchset|set"
    r"|pull request|this one|these|them|it|this|both)(?: \d+(?:[-,+ ]+(?:and )?\d+)*)?)"
    r"(?: of this series)? )?"
    r"(?:(?:was|were|has been|have been|is|are|now|got) )?"
    + _VERB + r"\b"
)
#: Words after the verb that make it a test report, a plan or something else taken.
_NOT_OUTCOME_RE = re.compile(
    r"(?i)\b(?:locally|cleanly|on top of|on top\b|fine|tested|testing (?:it|this|the)"
    r"|verified|breaks?|broke|fails?|failed|conflicts? with|with this|when|once|if|would"
    r"|will be|not|n't|yet|tried|able to|boots?|reproduce|works (?:for|fine|here|now|well)"
    r"|working|crash(?:es|ed)?)\b"
)
#: Right after the verb: something else was applied or pushed ("pushed a fix",
#: "picked your code", "taken a look", "taken from").
_OTHER_THING_RE = re.compile(r"(?i) (?:out |up )?(?:a|an|my|your (?:code|fix)|from)\b")
#: ``to X`` right after the verb (a few words such as ``patch 5`` or ``the first patch
#: only`` may come between).
_TARGET_RE = re.compile(
    r"(?i)[\s,]*(?:[^\s,.;:()]+ ){0,5}?(?:to|on|into|in) (?:the |my |our )?(?:local )?"
    r"(?P<target>(?:https?://\S+|[\w./~+@-]+)(?: \([\w./+-]+\))?"
    r"(?: (?!(?:in|with|for|and|as|after|because|but|since|thanks|instead|along|via|from"
    r"|while|so|now|too|already|together|to|at)\b)[\w./+-]+)?(?: (?:branch|tree))?"
    r"(?: of (?:https?://\S+|[\w./~+@-]+))?)"
)
#: Targets that are no tree: a base the patch was tried on, or a pronoun.
_NO_TREE_RE = re.compile(
    r"(?i)(?:[0-9a-f]{7,40}|v?\d+\.\d+(?:\.\d+)?(?:-rc\d+)?|here|there|it|this|them|me|top"
    r"|the|correct|right|same|proper|\d+\w*)$"
)
_BRANCH_WORDS = frozenset(
    ("next", "fixes", "master", "main", "queue", "testing", "for-next", "-next", "devel")
)
_RANGE_RE = re.compile(r"(\d+)\s*(?:-|\.\.|to)\s*(\d+)|(\d+)")
_NUMBERS_RE = re.compile(
    r"(?i)\b(?:patch(?:es)?|#)\s*(?P<list>\d+(?:\s*(?:-|\.\.|,|\+|&|and|to)\s*\d+)*)"
    r"|^(?:and )?(?P<bare>\d+(?:\s*(?:-|\.\.|,|\+|&|and|to)\s*\d+)*)\b"
)
_FIRST_RE = re.compile(
    r"(?i)\bthe first (?:(?P<n>\d+)|(?P<word>one|two|three|four|five|six|seven|eight|nine|ten"
    r"|patch))\b|\bfirst (?P<word2>one|two|three|four|five|six|seven|eight|nine|ten)\b"
)
_WORD_NUMBERS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])}

#: b4 thank-you listing: ``[01/11] subject`` then ``commit: <id>`` (or a commit URL,
#: or ``(no commit info)``); patchwork-bot: ``- [net-next,v2,01/11] subject`` then a
#: ``https://git.kernel.org/…/c/<id>`` line or ``(no matching commit)``.
_ENTRY_RE = re.compile(r"\s*(?:- )?\[(?:[^\]/]{0,80},)?\s*(\d{1,4})/(\d{1,4})\]\s")
_COMMIT_RE = re.compile(
    r"\s+(?:commit:\s+|https?://\S{1,200}/(?:c|commit)/)([0-9a-f]{7,40})\s*$"
)
_NO_COMMIT_RE = re.compile(r"\s+\((?:no commit info|no matching commit)\)\s*$")
_BOT_RE = re.compile(
    r"This (?:series|patch|pull request) was applied to (?P<tree>\S+)(?: \((?P<branch>[^)]+)\))?"
)


def _lines(body: str) -> list[str]:
    """The reply's own lines, each cut to :data:`_MAX_LINE`, quoted lines as blanks (a
    quote ends a paragraph), stopping at the signature."""
    out: list[str] = []
    for line in body.split("\n"):
        line = line[:_MAX_LINE].rstrip()
        if line in ("-- ", "--"):
            break
        out.append("" if line.lstrip().startswith((">", "|")) else line)
    return out


def _openings(lines: list[str]) -> Iterator[str]:
    """The start of each paragraph (a few lines joined), and of the line after a
    greeting such as ``Hi Marc,``."""
    prev = ""
    for i, line in enumerate(lines):
        if line.strip() and (not prev.strip() or _GREETING_RE.match(prev.strip())):
            para = []
            for nxt in lines[i:i + _OPENING_LINES]:
                if not nxt.strip():
                    break
                para.append(nxt.strip())
            text = " ".join(para)
            if text.endswith((" to", " to:", " into")):  # "Applied to\n\n  URL branch"
                after = (x.strip() for x in lines[i + len(para):i + len(para) + 3])
                text += " " + next((x for x in after if x), "")
            yield text[:_MAX_LINE]
        prev = line


def _sentence(text: str) -> str:
    """The first sentence: up to ``!``, ``?``, ``;`` or a full stop before a space."""
    end = len(text)
    for stop in ("! ", "!", "? ", "?", "; ", ". "):
        pos = text.find(stop)
        if pos != -1:
            end = min(end, pos + (1 if stop[0] == "?" else 0))
    return text[:end]


def _numbers(text: str) -> tuple[int, ...]:
    """Patch numbers of ``3-12``, ``1, 2 and 5``, ``3+5``."""
    found: list[int] = []
    for m in _RANGE_RE.finditer(text):
        if m.group(3):
            found.append(int(m.group(3)))
        else:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo <= hi <= lo + 500:
                found.extend(range(lo, hi + 1))
    return tuple(sorted(set(found)))


def _patches(sentence: str, rest: str) -> tuple[int, ...] | None:
    """Which patches a note names: in the subject of the verb (``patches 1-3 applied``)
    or after it (``Applied patches 3-12``, ``Queued 1-5``, ``the first 9``)."""
    for text in (sentence, rest):
        if m := _FIRST_RE.search(text):
            n = m.group("n")
            word = m.group("word") or m.group("word2")
            count = int(n) if n else 1 if word == "patch" else _WORD_NUMBERS.get(word or "", 0)
            if count:
                return tuple(range(1, count + 1))
    if m := _NUMBERS_RE.search(rest.lstrip()):
        return _numbers(m.group("list") or m.group("bare"))
    if m := _NUMBERS_RE.search(sentence):
        return _numbers(m.group("list") or m.group("bare") or "")
    return None


def _target(rest: str) -> tuple[str | None, str | None]:
    """(tree, branch) of ``to X``: ``arm64 (for-next/misc)``, ``kvm-x86 next``, ``the
    for-5.4 branch of linux-leds.git``, ``my for-next branch``, ``next``. A single name
    is a branch when it is a usual branch name (``next``, ``fixes``, ``for-…``) or is
    called one, else the tree."""
    m = _TARGET_RE.match(rest)
    if not m:
        return None, None
    words = [w.rstrip(".,:;-") for w in m.group("target").split(" ")]
    words = [w for w in words if 0 < len(w) <= _MAX_NAME and not _NO_TREE_RE.match(w)]
    tree: str | None = None
    if "of" in words:  # "for-5.4 branch of linux-leds.git"
        at = words.index("of")
        tree = words[at + 1] if at + 1 < len(words) else None
        words = words[:at]
    kind = words.pop() if words and words[-1].lower() in ("branch", "tree") else ""
    if not words:
        return tree, None
    if len(words) >= 2:
        return tree or words[0], words[1].strip("()")
    name = words[0]
    if tree or kind == "branch" or (kind != "tree" and _is_branch(name)):
        return tree, name
    return name, None


def _is_branch(name: str) -> bool:
    low = name.lower()
    return low in _BRANCH_WORDS or low.startswith("for-")


def _listing(lines: list[str]) -> tuple[tuple[int, ...], tuple[str, ...], int]:
    """Patch numbers given a commit, the commits, and the series total, from a b4 or
    patchwork-bot listing."""
    numbers: list[int] = []
    commits: list[str] = []
    total = 0
    pending: int | None = None
    for line in lines:
        if m := _ENTRY_RE.match(line):
            pending, total = int(m.group(1)), max(total, int(m.group(2)))
        elif pending is not None and (c := _COMMIT_RE.match(line)):
            numbers.append(pending)
            commits.append(c.group(1))
            pending = None
        elif pending is not None and _NO_COMMIT_RE.match(line):
            pending = None
    return tuple(numbers), tuple(commits), total


def _note(lines: list[str], tree: str | None, branch: str | None,
          patches: tuple[int, ...] | None, queued: bool) -> AppliedNote:
    """The note, with the commits of its listing; a listing that leaves out some
    patches of the series names the ones it lists."""
    numbers, commits, total = _listing(lines)
    if commits and patches is None and set(numbers) != set(range(1, total + 1)):
        patches = tuple(sorted(set(numbers)))
    return AppliedNote(tree, branch, patches, commits, queued)


def find_applied(body: str) -> AppliedNote | None:
    """The applied/queued note of a reply's decoded body, or None when it has none."""
    lines = _lines(body)
    for line in lines:
        if m := _BOT_RE.match(line.strip()):
            return _note(lines, m.group("tree"), m.group("branch"), None, False)
    for opening in _openings(lines):
        m = _OPENER_RE.match(opening)
        if not m:
            continue
        rest = _sentence(opening[m.end():])
        if ("?" in opening[:m.end() + len(rest) + 1] or _NOT_OUTCOME_RE.search(rest)
                or _OTHER_THING_RE.match(rest)):
            continue
        verb = m.group("verb").lower()
        tree, branch = _target(rest)
        patches = _patches(m.group("what") or "", rest)
        return _note(lines, tree, branch, patches, verb == "queued")
    numbers, commits, total = _listing(lines)
    if commits:  # a b4 listing under a custom opening ("Provisionally applied …")
        whole = set(numbers) == set(range(1, total + 1))
        return AppliedNote(None, None, None if whole else numbers, commits, False)
    return None


_RESPIN_RE = re.compile(
    r"(?i)\b(?:please|pls|could you|can you|would you|care to|mind|you'?ll need to"
    r"|you need to|need to|have to)\b[^.?!]{0,60}?"
    r"\b(?:re-?spin|re-?send|re-?post|re-?submit|re-?roll|send (?:out )?(?:a |an |the )?"
    r"(?:new|updated|fixed|next|v\d+|another)|post (?:a |an )?(?:new|updated|v\d+)"
    r"|spin (?:a |another )?(?:new|v\d+))"
    r"|\b(?:i'?ll|will) (?:wait|look out) for (?:a |the )?(?:v\d+|new version|next version"
    r"|respin|re-spin|updated version)"
    r"|\bneeds? (?:a |another )?(?:respin|re-spin|new version)"
)


def asks_for_new_version(body: str) -> bool:
    """Whether the reply's own text asks the author for a new version of the series."""
    return any(_RESPIN_RE.search(line) for line in _lines(body) if line)
