"""The text digest, in the layout of the KVM list update its readers know."""

from __future__ import annotations

from datetime import UTC, datetime

from listdigest.digest import Digest, message_link
from listdigest.mail.address import parse_address
from listdigest.mail.message import Message
from listdigest.model.series import Applied, Posting, Series, reviewers
from listdigest.stats.contributors import format_address
from listdigest.stats.history import Statistics


def author(msg: Message) -> str:
    """The contributor of a patch email as ``Name <addr>``."""
    return format_address(msg.author_name, msg.author_addr)


def series_contents(s: Series) -> str:
    """What a series holds: ``RFC, v2, 3 patches + cover letter, 2 replies``."""
    lead = s.cover or s.first_patch
    parts = list(lead.tags.prefixes) if lead else []
    if s.version > 1:
        parts.append(f"v{s.version}")
    count = len(s.patches)
    if s.total is None and not s.cover:
        parts.append("single patch")
    else:
        held = f"{count} patch" + ("es" if count != 1 else "")
        if s.total and s.total != count:
            held += f" of {s.total}"
        parts.append(held + (" + cover letter" if s.cover else ""))
    if n := sum(len(group) for group in s.replacements.values()):
        parts.append(f"{n} replacement" + ("s" if n != 1 else ""))
    if s.replies:
        parts.append(f"{len(s.replies)} repl" + ("ies" if len(s.replies) != 1 else "y"))
    return ", ".join(parts)


def series_summary(s: Series) -> str:
    """What a series holds and what became of it: ``RFC, v2, 3 patches + cover letter,
    2 replies; reviewed; earlier: v1 2025-03-03`` or ``single patch; waiting``."""
    text = series_contents(s)
    if s.later and not s.applied:
        newest = s.later[-1]
        text += f"; superseded by {_version(newest)} ({day(newest.date)})"
    else:
        text += f"; {state_text(s)}"
    if s.earlier:
        text += "; earlier: " + ", ".join(f"{_version(p)} {day(p.date)}" for p in s.earlier)
    return text


def state_text(s: Series) -> str:
    """The state, with where an applied series went: ``applied to kvm-x86 next``,
    ``partly applied (2, 3 of 3)``."""
    if not s.applied:
        return s.state
    first = s.applied[0]
    where = " ".join(w for w in (first.tree, first.branch) if w)
    text = s.state
    if (done := s.applied_patches) is not None:
        text += f" ({', '.join(map(str, sorted(done)))} of {s.total or len(s.patches)})"
    return f"{text} to {where}" if where else text


def _version(p: Posting) -> str:
    return f"RFC v{p.version}" if p.rfc else f"v{p.version}"


def reviewer_line(s: Series) -> str:
    """``Reviewed-by: Ann Dev, Bob; Acked-by: Carl`` (names, else addresses)."""
    return "; ".join(f"{tag}: " + ", ".join(_name(v) for v in values)
                     for tag, values in reviewers(s).items())


def _name(value: str) -> str:
    name, addr = parse_address(value)
    return name or addr or value


def day(ts: int) -> str:
    """``2025-03-03`` (UTC)."""
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def version_label(s: Series) -> str:
    """``v3``, or ``RFC v2`` when its cover letter or first patch is tagged RFC."""
    lead = s.cover or s.first_patch
    return f"RFC v{s.version}" if lead and "RFC" in lead.tags.prefixes else f"v{s.version}"


def applied_line(a: Applied) -> str:
    """``applied to kvm-x86 next by Sean <…>, 2025-08-07: 1a2b3c4d5e6f``."""
    where = " ".join(w for w in (a.tree, a.branch) if w)
    return (f"{'queued' if a.queued else 'applied'}" + (f" to {where}" if where else "")
            + f" by {a.by}" + (f", {day(a.date)}" if a.date is not None else "")
            + (f": {', '.join(c[:12] for c in a.commits)}" if a.commits else ""))


def missing(s: Series) -> str:
    """The numbers a series lacks, runs joined: ``2/2``, or ``1-34, 36-49 of 49`` (a list
    often gets only the patches of a large series that concern it)."""
    runs: list[list[int]] = []
    for n in s.missing:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    if len(s.missing) == 1:
        return f"{s.missing[0]}/{s.total}"
    parts = [f"{r[0]}-{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs]
    return f"{', '.join(parts)} of {s.total}"


def render_text(d: Digest) -> str:
    """Render a digest as text. Written out in Python rather than as a template: a
    week's digest spent more time loading and compiling jinja2's template than in
    all of its lines, and the text digest is what ``update`` and cron jobs ask for."""
    out = [f"From {d.start} to {d.end}"
           + (f" ({d.commits[0][:9]}..{d.commits[1][:9]})" if d.commits else ""),
           f"{d.list_name} mailing list update from {d.start} to {d.end}", "",
           f"Top {d.top} contributor Email domains (Based on Email Body)", ""]
    out += [f"{row.count:7d} {row.label}" for row in d.domains]
    out += ["", f"Top {d.top} contributors (Based on Email Body)", ""]
    out += [f"{row.count:7d}  {row.label}" for row in d.contributors]
    out += ["", "===== Patch list in this time period =====", ""]
    for s in d.series:
        out.append(f"{s.title} ({series_summary(s)})")
        out += [f"  {m.subject} - {author(m)}" for m in s.messages]
        if s.missing:
            out.append(f"  missing: {missing(s)}")
        if who := reviewer_line(s):
            out.append(f"  {who}")
        if d.link_base:
            out.append(f"  link: {d.link(s.messages[0])}")
        out.append("")
    if d.waiting:
        out += ["===== Waiting for review =====", ""]
        out += [f"{s.title} - {author(s.messages[0])}, sent {day(s.messages[0].date)}"
                for s in d.waiting]
        out.append("")
    out += ["", "===== Patch Commit Messages ====", ""]
    for s, m in d.entries:
        text = d.body_text(s, m)
        out += [f"New:  {m.tags.text}", m.subject, f"Author: {author(m)}", "",
                "(message body could not be read)" if text is None else text, "", RULE, ""]
    return "\n".join(out) + "\n"


#: The line after each commit message of the text digest.
RULE = "-" * 70


def render_life_text(versions: list[Series], link_base: str | None) -> str:
    """Every version of a series, oldest first: version, date and title; what it held,
    its replies and state; its reviewers, where it was applied; its link."""
    newest = versions[-1]
    lines = [f"{newest.title} ({len(versions)} posting" + ("s" if len(versions) != 1 else "")
             + ")", ""]
    for s in versions:
        lead = s.cover or s.first_patch
        began = min(m.date for m in s.messages)
        lines.append(f"{version_label(s)}  {day(began)}  {s.title}")
        lines.append(f"  {series_contents(s)}; {state_text(s)}")
        if who := reviewer_line(s):
            lines.append(f"  {who}")
        lines.extend(f"  {applied_line(a)}" for a in s.applied)
        if lead is not None:
            link = message_link(link_base, lead.message_id)
            lines.append(f"  {link or '<' + lead.message_id + '>'}")
        lines.append("")
    return "\n".join(lines)


#: The widths of the columns of the text statistics after the period's.
_WIDTHS = (9, 9, 7, 8, 8, 13, 10)


def render_stats_text(s: Statistics) -> str:
    """Render statistics as text: a table of periods, then the three top tables."""
    heads = ("messages", "patches", "series", "replies", "reviews", "contributors",
             "newcomers")
    out = [f"{s.list_name} mailing list statistics from {s.start} to {s.end}, by {s.by}", "",
           f"{'period':<9}" + "".join(f" {h:>{w}}" for h, w in zip(heads, _WIDTHS, strict=True))]
    for p in [*s.periods, s.total]:
        values = (p.messages, p.patch_emails, p.series, p.replies, p.reviews,
                  len(p.contributors), p.newcomers)
        out.append(f"{p.label:<9}" + "".join(f" {v:{w}d}"
                                              for v, w in zip(values, _WIDTHS, strict=True)))
    for title, rows, sep in (("contributor Email domains (Based on Email Body)", s.domains, " "),
                             ("contributors (Based on Email Body)", s.contributors, "  "),
                             ("reviewers (Acked-by, Reviewed-by, Tested-by given in replies)",
                              s.reviewers, "  ")):
        out += ["", f"Top {s.top} {title}", ""]
        out += [f"{row.count:7d}{sep}{row.label}" for row in rows]
    return "\n".join(out) + "\n"
