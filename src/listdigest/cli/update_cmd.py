"""``listdigest update``: for each followed list, mirror, index, and publish what is new.

The position of the last published digest is kept in the list's index. It is
recorded only after every file of the new digest was written and its mail (when
the config has a [mail] table) accepted, so an interrupted or failed run loses
nothing (the next run writes and sends the same range again) and a repeated run
repeats nothing (it finds no new commit, writes no file and sends no mail). The
position also keeps the Message-IDs of the list's earlier digest mails, which the
next one names in In-Reply-To and References, and the Message-IDs of the messages
its digests of the last REMEMBER_DAYS held: those are left out of later digests
(counted as already published), so a history rewrite (lore's purges, a reindex or
re-import that changes commit ids and times) republishes nothing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from listdigest.cli.config import ListConfig, default_config_path, load_config
from listdigest.cli.digest_cmd import digest_range, render, write_output
from listdigest.cli.index_cmd import refresh
from listdigest.cli.say import error, note, stamp_lines, warn
from listdigest.errors import ListdigestError
from listdigest.index import Index, open_index
from listdigest.sources import mirror as mirroring
from listdigest.sources.archive import Archive, is_ancestor
from listdigest.sources.files import path_name

FIRST_RUN_DAYS = 7
#: Days of digests whose Message-IDs the position keeps (at least the last digest's):
#: lore rewrites to purge spam within days; a month of kvm is ~1,500 ids, ~70 kB.
REMEMBER_DAYS = 30
_SUFFIX = {"text": "txt", "json": "json", "markdown": "md", "html": "html", "email": "eml"}


def position_key(cfg: ListConfig) -> str:
    """The state key of a list's last published position. It belongs to the entry's
    output folder: two configs following one archive into two folders each get every
    digest."""
    return f"update:{cfg.key}:{path_name(cfg.output.resolve())}"


def _legacy_key(cfg: ListConfig) -> str:
    """The key of earlier versions (one position per list key), still read once."""
    return f"update:{cfg.key}"


def fetch(cfg: ListConfig) -> None:
    """Mirror the list's URL into its archive folder, or fetch what is new."""
    if cfg.url is None:
        return
    if (cfg.archive / "git").is_dir():
        result = mirroring.update(cfg.archive)
        changed = sum(e.status != "unchanged" for e in result.epochs)
        note(f"{cfg.key}: fetched {result.url} ({changed} epoch"
             f"{'' if changed == 1 else 's'} changed, {result.arrived} new messages)")
    else:
        mirroring.mirror(cfg.url, cfg.archive)
        note(f"{cfg.key}: mirrored {cfg.url} into {cfg.archive}")


def check_origins(lists: list[ListConfig]) -> None:
    """Say when a list's url is not where its mirror fetches from (the mirror's origin
    wins: it is what was cloned)."""
    for cfg in lists:
        if cfg.url is None or not (cfg.archive / "git").is_dir():
            continue
        try:
            origin = mirroring.origin_url(cfg.archive)
        except ListdigestError:
            continue  # not a mirror: the fetch will say so
        if origin.rstrip("/") != cfg.url.rstrip("/"):
            warn(f"{cfg.key}: url {cfg.url} differs from the origin of the mirror in "
                 f"{cfg.archive} ({origin}); fetching from the origin")


def publish(cfg: ListConfig, archive: Archive, idx: Index, now: datetime,
            write_empty: bool = False) -> list[Path]:
    """Write the digest of everything after the recorded position, and mail it when the
    config says so; returns the files. A range without a message gives no digest
    unless ``write_empty`` (its position moves all the same)."""
    tip = _newest_commit(archive)
    saved = idx.get_state(position_key(cfg)) or idx.get_state(_legacy_key(cfg))
    position = json.loads(saved) if saved else {}
    if tip is None or position.get("commit") == tip:
        note(f"{cfg.key}: no new messages")
        return []
    sent = _sent(position)
    published = frozenset(i for _, ids in sent for i in ids)
    if saved:  # after the recorded commit, up to the tip
        start, end, since = _still_there(archive, idx, position, published), tip, None
    else:  # a first run: by date
        start = end = None
        since = cfg.since or (now - timedelta(days=FIRST_RUN_DAYS)).date().isoformat()
    d = digest_range(archive, idx, rev_from=start, rev_to=end, since=since, until=None,
                     name=cfg.name, top=cfg.top, show_all=False, check=False, label=cfg.key,
                     mailmap=cfg.mailmap, published=published)
    d.link_base = cfg.link_base
    sent = _remember(sent, now, d.message_ids)
    if not d.message_ids and not write_empty:
        again = d.accounting.already_published
        note(f"{cfg.key}: no {'new ' if again else ''}message in "
             f"{start[:9] if start else since}..{tip[:9]}"
             f"{f' ({again} already published)' if again else ''}; "
             "no digest written (--write-empty writes one)")
        _move(cfg, archive, idx, tip, [str(t) for t in position.get("thread", [])], sent)
        return []
    first = (start or "")[:9] or since or "start"  # how ids name the start of this digest
    thread = [str(t) for t in position.get("thread", [])]  # Message-IDs of earlier digests
    msg = None
    if cfg.mail or "email" in cfg.formats:  # the mail machinery, loaded only for mail
        from listdigest.render.email_message import (
            DEFAULT_FROM,
            DEFAULT_TO,
            Envelope,
            as_text,
            digest_email,
            digest_message_id,
            thread_ids,
        )

        sender = cfg.mail.sender if cfg.mail else DEFAULT_FROM
        envelope = Envelope(sender=sender, to=cfg.mail.to if cfg.mail else (DEFAULT_TO,),
                            references=tuple(thread), html=bool(cfg.mail and cfg.mail.html),
                            date=now)
        msg = digest_email(d, envelope, message_id=digest_message_id(
            cfg.key, first, tip[:9], sender))
        thread = thread_ids([*thread, str(msg["Message-ID"]).strip("<>")])
    stamp = now.strftime("%Y-%m-%d")
    written = []
    for fmt in cfg.formats:
        if fmt == "atom":
            from listdigest.render.atom import FEED_TAG_DATE, digest_entry, tag_id, updated_feed

            path = cfg.output / f"{cfg.key}.atom"
            entry = digest_entry(d, cfg.key, start=first, end=tip[:9])
            text = updated_feed(path, entry, feed_id=tag_id(d.list_id, FEED_TAG_DATE, cfg.key),
                                title=f"{d.list_name} mailing list updates",
                                keep=cfg.feed_entries)
        else:
            path = cfg.output / f"{cfg.key}-{stamp}-{tip[:9]}.{_SUFFIX[fmt]}"
            text = as_text(msg) if fmt == "email" and msg else render(d, fmt)
        write_output(text, str(path))
        written.append(path)
    if cfg.mail and msg:
        from listdigest.cli.send import send  # smtplib and ssl, only to send

        send(msg, cfg.mail)
        note(f"{cfg.key}: mailed {msg['Subject']} to {', '.join(cfg.mail.to)}")
    # Only now, with every file in place and the mail accepted, does the position move.
    _move(cfg, archive, idx, tip, thread, sent)
    return written


#: What the position keeps of each digest: (when it was written, its Message-IDs).
_Sent = list[tuple[float, list[str]]]


def _sent(position: dict[str, object]) -> _Sent:
    """The digests the position remembers (none in a position of an earlier version)."""
    kept = position.get("published")
    if not isinstance(kept, list):
        return []
    return [(float(when), [str(i) for i in ids]) for when, ids in kept]


def _remember(sent: _Sent, now: datetime, ids: tuple[str, ...]) -> _Sent:
    """``sent`` with the new digest's ids, less the digests older than REMEMBER_DAYS
    (the newest one is always kept, however long ago it was)."""
    out = [*sent, (now.timestamp(), list(ids))] if ids else list(sent)
    cutoff = now.timestamp() - REMEMBER_DAYS * 86400
    return [entry for i, entry in enumerate(out) if entry[0] >= cutoff or i == len(out) - 1]


def _move(cfg: ListConfig, archive: Archive, idx: Index, tip: str, thread: list[str],
          sent: _Sent) -> None:
    """Record ``tip`` as the list's position, with the Message-IDs of its digest mails
    and of the messages its recent digests held."""
    idx.set_state(position_key(cfg), json.dumps(
        {"commit": tip, "time": archive.commit_time(tip), "thread": thread,
         "published": sent}))


def _newest_commit(archive: Archive) -> str | None:
    for epoch in reversed(archive.epochs):
        if (head := archive.head(epoch)) is not None:
            return head
    return None


def _still_there(archive: Archive, idx: Index, saved: dict[str, object],
                 published: frozenset[str]) -> str | None:
    """The recorded commit, or after a history rewrite that removed it, the commit
    before the first one that holds a message published since REMEMBER_DAYS (those are
    then left out by Message-ID, whatever their new commit ids and times); without
    such a message, the newest commit no later than the recorded one (by commit time).

    A rewritten-away commit can still be in the object store (git drops unreachable
    objects only at gc): it counts as gone unless its epoch's head still contains it,
    so no digest is titled with it, nor reads ``gone..tip`` (the whole rewrite)."""
    commit = str(saved["commit"])
    try:
        epoch, full = archive.resolve(commit)
        head = archive.head(epoch)
        if head is not None and is_ancestor(epoch.path, full, head):
            return commit
    except ListdigestError:
        pass
    if (first := idx.first_holding(published)) is not None:
        return idx.commit_before(first)
    before = None
    for entry in archive.commits():
        if entry.time > int(str(saved["time"])):
            break
        before = entry.commit
    return before


def update_list(cfg: ListConfig, now: datetime, write_empty: bool = False) -> list[Path]:
    """Mirror, index and publish one list."""
    fetch(cfg)
    archive = Archive.open(cfg.archive)
    with open_index(archive, cfg.db) as idx:
        result = refresh(idx, f"indexing {cfg.key}")
        if result.added:
            note(f"{cfg.key}: indexed {result.added} new commit"
                 f"{'' if result.added == 1 else 's'}")
        return publish(cfg, archive, idx, now, write_empty)


EXAMPLES = """\b
Examples:
  listdigest update                       # every list of the config
  listdigest update kvm --config ~/lists.toml
  0 7 * * *  listdigest update -q >> ~/digests/update.log 2>&1   # a crontab line

\b
The config (TOML):
  output = "~/digests"          # a folder per list below it
  formats = ["text", "json"]    # default ["text"]
  top = 15
  link_base = "https://lore.kernel.org/r/"
  [lists.kvm]
  name = "KVM"                          # title (default: the key)
  url = "https://lore.kernel.org/kvm"   # mirror from here (optional)
  archive = "~/mirrors/kvm"             # the local archive
  since = "2025-08-01"                  # first run only (default: 7.days.ago)
  output = "~/www/kvm"                  # instead of <output>/kvm
  db = "~/kvm.sqlite"                   # instead of the default index
  mailmap = "~/kvm.mailmap"             # merge people's addresses (git's .mailmap format)
"""


@click.command(epilog=EXAMPLES)
@click.argument("names", nargs=-1, metavar="[LIST]...")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help=f"The lists to follow (default: {default_config_path()}).")
@click.option("--db", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path),
              help="The index to use, instead of the config's (with one LIST only).")
@click.option("--write-empty", is_flag=True,
              help="Write a digest even when nothing new holds a message.")
def update(names: tuple[str, ...], config_path: Path | None, db: Path | None,
           write_empty: bool) -> None:
    """Write a digest of everything new on each followed list since the last update.

    Lists are read from a TOML file (its keys below); give LIST names to update
    only those. Each list is mirrored (when it has a url), indexed, and digested
    from the position of its previous update; a first run covers the last week.
    """
    stamp_lines()
    config = load_config(config_path or default_config_path())
    lists = config.lists
    if unknown := sorted(set(names) - {c.key for c in lists} - set(config.problems)):
        raise ListdigestError(f"no list {unknown[0]!r} in the config")
    broken = [problem for key, problem in config.problems.items()
              if not names or key in names]
    for problem in broken:  # said before any work; the other lists still run
        error(problem)
    if db is not None:
        if len(names) != 1:
            raise ListdigestError("--db needs exactly one LIST (an index is per archive)")
        lists = [replace(c, db=db) for c in lists]
    lists = [c for c in lists if not names or c.key in names]
    check_origins(lists)
    now = datetime.now(UTC)
    failed = 0
    for cfg in lists:
        try:
            for path in update_list(cfg, now, write_empty):
                note(f"{cfg.key}: wrote {path}")
        except ListdigestError as exc:  # one list's trouble does not stop the others
            error(f"{cfg.key}: {exc}")
            failed += 1
    if failed or broken:  # cron notices
        raise click.exceptions.Exit(1)

