"""Tell from one reply that a series was applied or queued, and where.

Maintainers say so in a few set forms: patchwork-bot's ``This series was applied
to netdev/net-next.git (main)`` with a summary of commit links, b4's thank-you
mail (``Applied to kvm-x86 next, thanks!`` or a custom opening, then
``[1/2] subject`` and ``commit: <id>`` per patch), and hand-written notes
(``Applied patches 3-12``, ``Queued for 6.18, thanks``). A note counts only when it
opens a paragraph of the reply's own (unquoted) text, or a sentence in its first
lines: a sentence that merely contains "applied" ("with this patch applied, it
crashes", "can this be applied?") is discussion, and so are testers' reports
("applied locally", "applied on top of … and this breaks", "applied it and tested").

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


#: Cheap prefilter over a raw message: every note has one of these verbs, which all end
#: in "ed", or hides in a base64 body. A search for the literal "d" runs at memory
#: speed and looks at the few letters around each hit, where an alternation of the
#: words would try every byte (five times slower on kvmarm's 196 MB). Misses: a b4
#: listing under an opening without any of the verbs (3 of the 1545 notes of the sample).
APPLIED_HINT = re.compile(rb"d(?:(?<=plied|ueued|ushed|erged|ulled|icked)|ing: base64)")

_GREETING_RE = re.compile(r"(?i)(?:hi|hello|hey|dear|thanks|thank you)\b[^.!?]{0,40}[,:!]?$")

_VERB = r"(?P<verb>applied|queued|pushed|merged|pulled|picked(?: up)?)"
#: Patch numbers: ``3``, ``2/8``, ``3-12``, ``1, 2 and 5``, ``5/8 + 6/8``, ``3 & 4``.
_NUMS = r"\d+(?:/\d+)?(?:\s*(?:,\s*and|[-,+&]|\.\.|and|to)\s*\d+(?:/\d+)?)*"
_OPENER_RE = re.compile(
    r"(?i)(?:(?:(?:anyway|fwiw|fyi|note|btw|so|well|right|ok|okay|great|oops|for now|rest assured"
    r"|in any case|also|and|sure|yes|indeed|done|fair enough|sounds good|looks good"
    r"|makes sense|agreed|good|i believe)[,:!.]* )"
    r"|(?:(?:thanks|thank you)(?: all| both| for [^,.!?]{1,40})?[,.!]* ))*"
    r"(?:(?:and |so )?(?:i'?ve|i have|i|we'?ve|we have|now|finally|also|all|just|somehow"
    r"|already|provisionally|manually|gone ahead and|went ahead and|tentatively)"
    r"(?: now| just| also| provisionally| finally| somehow| already)? )*"
    r"(?:(?P<done>[^.!?,;:\d]{1,60}?),? and )??"  # "Fixed that and applied", "Rebased, and"
    r"(?P<what>(?:the |this |whole |entire |all |both |these |first )*"
    r"(?:(?:series|patch set|patchset|patches|patch|set|pull request|this one|these|them|it"
    r"|this|both|backports?|fix(?:es)?|cleanups|changes|v\d+|it's|it is|that's|this is"
    r"|(?:\d+|one|two|three|four|five) patches)(?: \(?" + _NUMS + r"\)?)?|" + _NUMS + r")"
    r"(?: of (?:this|the) series)? )?"
    r"(?:(?:was|were|has|have|is|are|now|got|already|been) )*"
    + _VERB + r"\b"
)
#: "Pushed", "merged", "pulled" and "picked" say less than "applied": they count only with no
#: object or the series as object ("pushed, thanks", "merged this", "pushed to
#: arm/queue"), not in "merged device tree changes through the soc tree".
_WEAK_VERB_OK_RE = re.compile(
    r"(?i)[\s,.!:;]*$|[,.!:;]| (?:it|this|that|them|these|those|both|all|now|out|already"
    r"|the (?:series|patch(?:es)?|set|whole|tests?)|this (?:series|patch|one|set)|to|into|in"
    r"|on|through|via|with|for|as|and)\b"
)
#: Where the patch numbers after the verb end: "Applied patches 2, 17, and 25 to X, dropped
#: the WARN_ON in patch 2" names 2, 17 and 25.
_NUM_CLAUSE_END_RE = re.compile(r",(?!\s*(?:and\s+)?\d)|;| (?:but|since|because|as) ")
_QUESTION_RE = re.compile(r"\?(?:\s|$)")  # not the "?" of a URL's query
#: What was done before "and applied" that makes it a wish or the writer's own work:
#: "Hope it can be reverted and v2 applied", "sent out a fix … and applied it".
_NOT_DONE_RE = re.compile(
    r"(?i)\b(?:hope|can|could|should|would|will|need|must|may|might|please|if|when|once"
    r"|sent|posted|wrote|missing)\b"
)
#: Words after the verb, anywhere in its sentence, that make it a test report (not
#: inside a branch name such as ``for-next/boot``).
_TEST_REPORT_RE = re.compile(
    r"(?i)(?<![\w/-])(?:locally|internally|cleanly|tested|testing (?:it|this|the)|verified"
    r"|able to|boots?|reproduce|works (?:for|fine|here|now|well)|working|crash(?:es|ed)?"
    r"|successful(?:ly)?|tried)(?![\w/-])"
)
#: Words in the verb's own clause (up to a comma, "but", "since", …) that undo it:
#: "Applied fine now", "applied, not yet pushed", "I applied it and it breaks".
_UNDONE_RE = re.compile(
    r"(?i)(?<![\w/-])(?:on top|fine|not|yet|breaks?|broke|fails?|failed|conflicts? with"
    r"|with this|if|when|once)(?![\w/-])|n't\b"
)
_CLAUSE_END_RE = re.compile(r"[,;(]| (?:but|since|because|however|as|though|although) ")
#: Right after the verb: something else was applied or pushed ("pushed a fix", "pushed
#: the updated version", "queued [1]", "applied the fixup").
_OTHER_THING_RE = re.compile(
    r"(?i) \[\d+\]| (?:out |up )?(?:a|an|my|something|such|your (?:code|fix)|from|updates?"
    r"|updated|here"
    r"|(?:it|them|this) here|the (?:wip|same|result|following|below|above)"
    r"|the (?:updated|new|rebased) (?:version|branch|series)|current|directly"
    r"|(?:the|your) (?:fixup|suggestions?|comments))\b"
)
#: ``to X`` right after the verb (a few words such as ``patch 5`` or ``the first patch
#: only`` may come between).
_TARGET_RE = re.compile(
    r"(?i)[\s,]*(?:(?!(?:and (?:they|it|i|we|the|this|that|then)|but|then|thanks|which|so|as"
    r"|because|since|if|when|after|before)\b)"
    r"[^\s,.;:()]+,? ){0,6}?(?:to|on|into|in|through|via) (?:the |my |our |a |an )?"
    r"(?:local |new |separate |immutable |topic )?"
    r"(?!(?:be|make|do|get|have|see|avoid|fix|keep|go)\b)"
    r"(?P<target>(?:https?://\S+|[\w./~+@-]+)(?: \([\w./+-]+\))?"
    r"(?: (?!(?:in|with|for|and|as|after|because|but|since|thanks|instead|along|via|from"
    r"|while|so|now|too|already|together|to|at|tomorrow|today|soon|shortly|later|as well"
    r"|eventually)(?![\w-]))[\w./+-]+)?"
    r"(?: (?:branch|tree|subsystem|repo|repository))?"
    r"(?: of (?:https?://\S+|[\w./~+@-]+))?)"
)
#: Targets that are no tree: a base the patch was tried on, or a pronoun.
_NO_TREE_RE = re.compile(
    r"(?i)(?:[0-9a-f]{7,40}|v?\d+\.\d+(?:\.\d+)?(?:-rc\d+)?|here|there|it|this|them|me|top"
    r"|the|a|an|new|immutable|topic|its|own|separate|correct|right|same|proper|\d+\w*"
    r"|january|february|march|april|may|june|july|august|september|october|november|december)$"
)
#: Applied on a release or a commit, or from another version: a test or an old posting.
_BASE_RE = re.compile(
    r"(?i)[\s,]*(?:[^\s,.;:()]+ ){0,4}?(?:(?:on|to|against|over) (?:top of )?"
    r"(?:v?\d+\.\d+(?:\.\d+)?(?:-rc\d+)?(?![/\w.-])|[0-9a-f]{12,40}\b)"
    r"|(?:from|of) (?:the )?(?:v\d+|previous|earlier|older|last)\b)"
)
#: A target that shows the reply is about the writer's own work ("applied it to the
#: patch", "pushed to my series").
_OWN_WORK_RE = re.compile(
    r"(?i)[\s,]*(?:[^\s,.;:()]+ ){0,3}?(?:to|on|into|in|for) (?:the |my |this |that )?"
    r"(?:patch|series|code|commit|v\d+\b(?!\.)|next version|next revision)\b"
)
_KIND_WORDS = frozenset(("branch", "tree", "subsystem", "repo", "repository"))
_BRANCH_WORDS = frozenset(
    ("next", "fixes", "master", "main", "queue", "testing", "for-next", "-next", "devel")
)
_RANGE_RE = re.compile(r"(\d+)(?:/\d+)?(?:\s*(?:-|\.\.|to)\s*(\d+)(?:/\d+)?)?")
_NUMBERS_RE = re.compile(
    r"(?i)\b(?:patch(?:es)?|#)\s*(?P<list>" + _NUMS + r")"
    r"|^(?:and )?(?P<bare>" + _NUMS + r")\b"
)
#: Numbers in the subject of the verb ("patches 3 and 4", "both 1/2 and 2/2"), not "v8".
_WHAT_NUMBERS_RE = re.compile(r"(?<![\w/])" + _NUMS)
_FIRST_RE = re.compile(
    r"(?i)\bfirst (?:(?P<n>\d+)|(?P<word>one|two|three|four|five|six|seven|eight|nine|ten"
    r"|patch))\b"
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
    end = _signature_at(body)  # where the line "--" ("-- " once stripped) starts, + 1
    cut = [line[:_MAX_LINE].rstrip() for line in body[:end - 1].split("\n")] if end else []
    return ["" if line.lstrip().startswith((">", "|")) else line for line in cut]


_SENTENCE_START_RE = re.compile(r"[.!?] +(?=[A-Z])| -- ")


def _openings(lines: list[str]) -> Iterator[str]:
    """The start of each paragraph (a few lines joined) or of the line after a greeting
    such as ``Hi Marc,``, then each sentence that starts within it."""
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
            text = text[:_MAX_LINE]
            yield text
            for m in _SENTENCE_START_RE.finditer(text):  # "Thanks Alex. I've queued this"
                yield text[m.end():]
        prev = line


def _sentence(text: str) -> str:
    """The first sentence: up to ``!``, ``?``, ``;`` or a full stop before a space (the
    dots of ``target-arm.next`` end nothing)."""
    end = len(text)
    for stop in ("!", "?", "; ", ". "):
        pos = text.find(stop)
        if pos != -1:
            end = min(end, pos + (1 if stop[0] == "?" else 0))
    return text[:end]


def _numbers(text: str) -> tuple[int, ...]:
    """Patch numbers of ``3-12``, ``1, 2 and 5``, ``3+5``, ``5/8 + 6/8``."""
    found: list[int] = []
    for m in _RANGE_RE.finditer(text):
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        # "25 to 5.18/scsi-staging" is patch 25 and a tree, not a range
        found.extend(range(lo, hi + 1) if lo <= hi <= lo + 500 else (lo,))
    return tuple(sorted(set(found)))


def _patches(what: str, rest: str) -> tuple[int, ...] | None:
    """Which patches a note names: in the subject of the verb (``patches 1-3 applied``)
    or after it (``Applied patches 3-12``, ``Queued 1-5``, ``the first 9``)."""
    for text in (what, rest):
        if m := _FIRST_RE.search(text):
            n, word = m.group("n"), m.group("word")
            count = int(n) if n else 1 if word == "patch" else _WORD_NUMBERS.get(word or "", 0)
            if count:
                return tuple(range(1, count + 1))
    rest = _NUM_CLAUSE_END_RE.split(rest, maxsplit=1)[0]
    if m := _NUMBERS_RE.search(rest.lstrip()):
        return _numbers(m.group("list") or m.group("bare"))
    if m := _WHAT_NUMBERS_RE.search(what):
        return _numbers(m.group())
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
    kind = words.pop() if words and words[-1].lower() in _KIND_WORDS else ""
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
        if "]" in line and (m := _ENTRY_RE.match(line)):  # the test first: most lines fail
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
    for line in lines if "This " in body else ():  # patchwork-bot's opening words
        if m := _BOT_RE.match(line.strip()):
            return _note(lines, m.group("tree"), m.group("branch"), None, False)
    for opening in _openings(lines):
        m = _OPENER_RE.match(opening)
        if not m:
            continue
        rest = _sentence(opening[m.end():])
        clause = _CLAUSE_END_RE.split(rest, maxsplit=1)[0]
        done = m.group("done") or ""
        if (_QUESTION_RE.search(opening, 0, m.end() + len(rest) + 1)
                or _TEST_REPORT_RE.search(rest) or _TEST_REPORT_RE.search(done)
                or _NOT_DONE_RE.search(done) or _BASE_RE.match(rest)
                or _UNDONE_RE.search(clause) or _OTHER_THING_RE.match(rest)
                or _OWN_WORK_RE.match(rest)):
            continue
        verb = m.group("verb").lower()
        if verb not in ("applied", "queued") and not _WEAK_VERB_OK_RE.match(rest):
            continue
        tree, branch = _target(rest)
        patches = _patches(m.group("what") or "", rest)
        return _note(lines, tree, branch, patches, verb == "queued")
    numbers, commits, total = _listing(lines)
    if commits:  # a b4 listing under a custom opening ("Provisionally applied …")
        whole = set(numbers) == set(range(1, total + 1))
        return AppliedNote(None, None, None if whole else numbers, commits, False)
    return None


_RESPIN_RE = re.compile(
    r"(?i)\b(?:please|pls|could you|can you|would you|care to|mind"
    r"|you(?:'ll| will)? (?:need|have) to)\b[^.?!]{0,60}?"
    r"\b(?:re-?spin|re-?send|re-?post|re-?submit|re-?roll|send (?:out )?(?:a |an |the )?"
    r"(?:new|updated|fixed|next|v\d+|another)|post (?:a |an )?(?:new|updated|v\d+)"
    r"|spin (?:a |another )?(?:new|v\d+))"
    r"|\b(?:i'?ll|will) (?:wait|look out) for (?:a |the )?(?:v\d+|new version|next version"
    r"|respin|re-spin|updated version)"
    r"|\b(?:this|it|series|patch) needs? (?:a |another )?(?:respin|re-spin|new version)"
)
#: "No need to respin", "please don't resend", "refrain from reposting", and the
#: author's own "let me know if I need to repost", "would you like me to resend".
_NOT_ASKED_RE = re.compile(
    r"(?i)\b(?:no need|don't|do not|needn't|not necessary|no reason|refrain|shouldn't"
    r"|should not|not|if|me|i)\b"
)


def asks_for_new_version(body: str) -> bool:
    """Whether the reply's own text asks the author for a new version of the series."""
    return _asks_in(_own_text(body))


def _own_text(body: str) -> str:
    """The lines of ``body`` that :func:`_lines` keeps, each after a newline: quoted
    lines and the signature left out."""
    return _QUOTED_LINES_RE.sub("", "\n" + body[:_signature_at(body)])


def _asks_in(own: str) -> bool:
    """:func:`asks_for_new_version` of a body whose own text is ``own``: each of its
    lines as :func:`_lines` cuts it, tried only when it holds a word a request needs
    (or a letter that lower-casing cannot stand for)."""
    for line in own.split("\n"):
        line = line[:_MAX_LINE].rstrip()
        if not line or line.lstrip().startswith((">", "|")):
            continue
        low = line.lower()
        if (any(map(low.__contains__, _RESPIN_WORDS))
                or (not line.isascii() and any(c in line for c in _FOLDED))) and _asks(line):
            return True
    return False


#: Words a request for a new version holds one of (_RESPIN_RE), and words an applied
#: note holds one of (a verb of _OPENER_RE or _BOT_RE, or a listing's commit line).
_RESPIN_WORDS = ("spin", "send", "post", "submit", "roll", "wait for", "look out for",
                 "new version")
_APPLIED_WORDS = ("applied", "queued", "pushed", "merged", "pulled", "picked", "commit", "/c/")
#: The letters ``(?i)`` matches to an ASCII letter that ``str.lower`` does not give:
#: long s, dotless i, capital I with dot.
_FOLDED = ("\u017f", "\u0131", "\u0130")
#: A run of quoted lines, each with the newline before it: the pattern starts with a
#: literal, so the regex engine jumps from line to line (memchr), and a quote of a whole
#: patch is one match.
_QUOTED_LINES_RE = re.compile(r"\n[ \t]*[>|][^\n]*(?:\n[ \t]*[>|][^\n]*)*")


def judge_reply(body: str, raw: bytes) -> tuple[AppliedNote | None, bool]:
    """A reply's applied note, and whether (without one) it asks for a new version, from
    its decoded body and its raw bytes (for APPLIED_HINT).

    Run on every reply at parse time, so each check runs only when the reply's own
    text (quoted lines and signature left out) holds one of the words it needs, in
    lower case: most replies quote a patch and say a few lines. APPLIED_HINT, a search
    of the whole raw message, is tried only then. The results are those of both checks
    run on every reply."""
    own = _own_text(body)
    if not own.isascii() and any(c in own for c in _FOLDED):
        applied = respin = True  # lower-casing cannot stand for the patterns' folding
    else:
        low = own.lower()
        applied = any(map(low.__contains__, _APPLIED_WORDS))
        respin = any(map(low.__contains__, _RESPIN_WORDS))
    if applied and APPLIED_HINT.search(raw) and (note := find_applied(body)) is not None:
        return note, False
    return None, respin and _asks_in(own)


def _signature_at(body: str) -> int:
    """Where the line :func:`_lines` stops at (``-- ``) starts; past the end without one."""
    text = "\n" + body  # offsets in text are one past those in body: pos is a line's start
    pos = text.find("\n--")
    while pos != -1:
        end = text.find("\n", pos + 1)
        if text[pos + 1:len(text) if end == -1 else end][:_MAX_LINE].rstrip() == "--":
            return pos
        pos = text.find("\n--", pos + 1)
    return len(body) + 1


def _asks(line: str) -> bool:
    """Whether one unquoted line (cut to :data:`_MAX_LINE`) asks for a new version."""
    for m in _RESPIN_RE.finditer(line):
        if not _NOT_ASKED_RE.search(line, max(0, m.start() - 20), m.end()):
            return True
    return False
