"""``listdigest digest``: the digest of a range of an archive."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from listdigest.cli.index_cmd import current_index, scan_progress
from listdigest.cli.options import (
    RANGE_HELP,
    check_link_base,
    envelope,
    mail_options,
    range_options,
    renderer,
)
from listdigest.cli.say import detail, note
from listdigest.digest import (
    Accounting,
    Digest,
    apply_mailmap,
    build_digest,
    check_inside,
    default_list_name,
    leave_out,
    select,
)
from listdigest.errors import ListdigestError
from listdigest.index import Index
from listdigest.index.history import followups, link_postings, newest_date
from listdigest.mail.scan import first_postings, patch_emails
from listdigest.sources.archive import Archive
from listdigest.sources.files import write_atomic
from listdigest.sources.mailmap import Mailmap

if TYPE_CHECKING:
    from listdigest.render.email_message import Envelope

#: The renderer of each --format, imported only when asked for (see options.renderer).
RENDERERS = {
    "text": "listdigest.render.text:render_text",
    "json": "listdigest.render.json:render_json",
    "markdown": "listdigest.render.markdown:render_markdown",
    "html": "listdigest.render.html:render_html",
    "atom": "listdigest.render.atom:render_atom",
}


def make_digest(archive: Archive, *, rev_from: str | None, rev_to: str | None,
                since: str | None, until: str | None, name: str | None, top: int,
                show_all: bool, db: str | None = None, history: bool | None = None,
                wait_days: int = 7, mailmap: Path | None = None,
                tree: Path | None = None) -> Digest:
    """Read the selected range (from the index at ``db`` or the default path when there
    is one, else from git) and build its digest, printing the account on stderr.
    ``history`` (default: whenever an index exists) reads the index's whole history for
    each series: earlier postings and replies after the range; True builds the index if
    need be, False leaves history out (the digest is then git's)."""
    with current_index(archive, db, create=bool(history)) as idx:
        d = digest_range(archive, idx, rev_from=rev_from, rev_to=rev_to, since=since,
                         until=until, name=name, top=top, show_all=show_all,
                         history=history is not False, wait_days=wait_days,
                         mailmap=mailmap, tree=tree)
    return d


def digest_range(archive: Archive, idx: Index | None, *, rev_from: str | None,
                 rev_to: str | None, since: str | None, until: str | None,
                 name: str | None, top: int, show_all: bool, check: bool = True,
                 history: bool = True, wait_days: int = 7, label: str | None = None,
                 mailmap: Path | None = None, tree: Path | None = None,
                 published: frozenset[str] = frozenset()) -> Digest:
    """The digest of a range read from an open, current index or (``idx`` None) from git;
    the account goes to stderr. ``check``: a date range wholly outside the archive is an
    error (``update`` passes False: a quiet week is no error). With an index and
    ``history``, each series gets its other postings and the replies the index holds
    after the range. ``mailmap``: a .mailmap file merging each person's addresses;
    ``tree``: a clone whose commits name the patches they apply; ``published``: the
    Message-IDs of earlier digests, counted and left out."""
    with scan_progress(archive, idx):
        sel = select(archive, idx, rev_from=rev_from, rev_to=rev_to, since=since,
                     until=until, shown=patch_emails if show_all else first_postings)
    # The records as the index gave them (before a mailmap rewrites them): the series'
    # replies within the range are among them, not read again.
    read = {(m.commit, m.blob): m for m in sel.messages} if idx is not None else {}
    leave_out(sel, published)
    if mailmap is not None:
        sel.messages = apply_mailmap(archive, sel.messages, Mailmap(mailmap))
    if check:
        check_inside(archive, sel)
    name = name or default_list_name(archive, sel.messages)
    report(sel.accounting, label or name)
    use = idx if history and idx is not None and not idx.snapshot else None
    d = build_digest(archive, sel.messages, sel.accounting, list_name=name,
                     start=sel.start, end=sel.end, by_date=sel.by_date, top=top,
                     show_all=show_all, commits=sel.commits,
                     dates=(sel.first_date, sel.last_date), wait_days=wait_days,
                     followups=(lambda series: followups(use, series, read)) if use else None,
                     newest=newest_date(use) if use else None, tree=tree,
                     bodies=sel.bodies, leads=sel.leads)
    if use is not None:
        link_postings(use, d.series, d.bodies)
    return d


def render(d: Digest, fmt: str, mail: Envelope | None = None) -> str:
    """The digest in one of the formats of --format (``mail`` addresses an email)."""
    if fmt == "email":
        from listdigest.render.email_message import Envelope, as_text, digest_email

        return as_text(digest_email(d, mail or Envelope()))
    text: str = renderer(RENDERERS[fmt])(d)
    return text


#: Reasons of commits that add no message by design, not because one was unreadable.
NO_MESSAGE = ("removal record", "removes a message", "adds no message")


def report(acc: Accounting, list_name: str) -> None:
    """The account of the range on stderr: one line naming the list, with -v each
    skipped commit and each duplicate before it."""
    for skip in acc.skipped:
        detail(f"skipped {skip.commit[:12]}: {skip.reason}")
    for dup in acc.duplicates:
        detail(f"duplicate <{dup.message_id}> in {dup.commit[:12]} counted once")
    note(f"{list_name}: {acc.summary()}")
    # A range of removal records (lore purging spam) holds nothing to read: no failure.
    if acc.commits and acc.messages == 0 and any(s.reason not in NO_MESSAGE
                                                 for s in acc.skipped):
        raise ListdigestError("no message of the range could be read")


def write_output(text: str | Iterable[str], output: str | None) -> None:
    """Print, or write a file atomically so a published digest is never half written.
    ``text`` may come in pieces (a streamed JSON digest), written as they come.

    A regular file is replaced whole (sources.files: an unnamed temporary file that
    even a SIGKILL leaves no trace of); anything else that exists, such as /dev/null
    or a pipe, is written to as it is.
    """
    pieces = [text] if isinstance(text, str) else text
    if output is None or output == "-":
        _print(pieces)
        return
    path = Path(output)
    try:
        if path.exists() and not path.is_file():
            with path.open("w", encoding="utf-8") as fh:
                fh.writelines(pieces)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, pieces)
    except (FileExistsError, NotADirectoryError):  # a file where a folder must be
        blocker = next(p for p in path.parents if p.exists())
        raise ListdigestError(f"cannot write {path}: {blocker} is not a folder") from None
    except OSError as exc:
        raise ListdigestError(f"cannot write {path}: {exc.strerror or exc}") from None


def _print(pieces: Iterable[str]) -> None:
    """Write to standard output; a closed or full one is one line, not a traceback (nor
    Python's "Exception ignored" when it flushes the unwritten rest at exit)."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise ListdigestError("standard output is closed (write to a file with -o FILE)")
    try:
        sys.stdout.writelines(pieces)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:  # /dev/full, a full disk under a redirect
        with contextlib.suppress(OSError, ValueError):  # let the exit's flush go nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise ListdigestError(f"cannot write to standard output: {exc.strerror or exc}"
                              ) from None


EXAMPLES = """\b
Examples:
  listdigest digest kvm 0619cd1f2..47d25fc1d --name KVM
  listdigest digest kvm --since 2.weeks.ago --format json -o fortnight.json
  listdigest digest kvm --since 'last monday' --until yesterday --link-base https://lore.kernel.org/r/
  listdigest digest kvm 47d25fc1d.. -v     # name every skipped commit and duplicate

"""


@click.command(epilog=EXAMPLES + RANGE_HELP)
@range_options
@click.option("--all", "show_all", is_flag=True, help="Show every patch's commit message.")
@click.option("--history/--no-history", default=None,
              help="Read each series' whole history in the index: earlier and later "
                   "postings, replies after the range (default: when an index exists; "
                   "--history builds one).")
@click.option("--wait", "wait_days", default=7, show_default=True, metavar="DAYS",
              type=click.IntRange(min=0),
              help="List series without a reply DAYS after they came as waiting.")
@click.option("--link-base", metavar="URL",
              help="Give each series a web link: URL + Message-ID "
                   "(e.g. https://lore.kernel.org/r/).")
@click.option("--mailmap", metavar="FILE", type=click.Path(path_type=Path),
              help="Merge each person's addresses as this .mailmap (git's format) says.")
@click.option("--tree", metavar="PATH", type=click.Path(path_type=Path),
              help="A clone of the project: commits whose Link:/Message-ID: trailers "
                   "name a patch mark it applied.")
@mail_options
def digest(archive: str, mailmap: Path | None, tree: Path | None, rev_from: str | None,
           rev_to: str | None,
           since: str | None, until: str | None, name: str | None, top: int, fmt: str,
           show_all: bool, output: str | None, db: str | None, history: bool | None, wait_days: int,
           link_base: str | None, mail_from: str | None, mail_to: tuple[str, ...],
           in_reply_to: tuple[str, ...], mail_html: bool) -> None:
    """Print the digest of ARCHIVE (a public-inbox inbox, epoch or v1 repository)."""
    link_base = check_link_base(link_base)
    d = make_digest(Archive.open(archive), rev_from=rev_from, rev_to=rev_to, since=since,
                    until=until, name=name, top=top, show_all=show_all, db=db,
                    history=history, wait_days=wait_days, mailmap=mailmap, tree=tree)
    d.link_base = link_base
    if fmt == "json":  # streamed: a whole archive's JSON is never held in memory
        write_output(renderer("listdigest.render.json:iter_json")(d), output)
    else:
        mail = envelope(mail_from, mail_to, in_reply_to, mail_html) if fmt == "email" else None
        write_output(render(d, fmt, mail), output)

