"""One index row per commit of the timeline, and back: a ``Scanned`` equal to git's.

A row keeps every field of :class:`~listdigest.mail.message.Message` (so a digest
from the index is the digest from git) plus facts worth querying across years of
history: the subject's tags, the thread root, a series key. Bodies stay in git.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence

from listdigest.mail.applied import AppliedNote
from listdigest.mail.message import Message
from listdigest.mail.scan import Scanned
from listdigest.mail.subject import Subject
from listdigest.sources.archive import CommitEntry

#: Columns of ``messages``, in the order of :func:`row_of`'s tuples.
COLUMNS = (
    "epoch", "pos", "commit_id", "commit_time", "blob", "reason", "date",
    "message_id", "subject", "date_ok", "from_name", "from_addr", "author_name",
    "author_addr", "in_reply_to", "refs", "list_id", "kind", "files_changed",
    "insertions", "deletions", "trailers", "version", "counter", "total", "prefixes",
    "thread", "series_key", "has_diff", "paths", "change_id", "base_commit", "applied",
    "asks_respin", "subject_parse", "lead_key", "series", "reach",
)

#: What ``search`` holds of a patch email's row (``row``: the row's prefix in SQL).
_SEARCHED = ("{row}subject, {row}author_name || ' ' || {row}author_addr || ' ' || "
             "{row}from_name || ' ' || {row}from_addr, {row}trailers, {row}paths")

#: Where an unthreaded numbered patch email's row is (no References, no In-Reply-To): the
#: rows ``group_series`` matches within a day by sender, version and total.
UNTHREADED = ("kind IN ('patch', 'cover') AND counter IS NOT NULL AND refs = '[]' AND "
              "in_reply_to = '' AND series IS NOT NULL")

#: What grouping a batch into series looks up (index.grouping): kept while a fresh build
#: loads, since each batch is grouped against the rows stored before it. The first also
#: gives stats their series: one covering scan of (series, date).
GROUPING_INDEXES = (
    "CREATE INDEX IF NOT EXISTS messages_grouped ON messages (series, date)"
    " WHERE series IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS messages_message_id ON messages (message_id)",
    "CREATE INDEX IF NOT EXISTS messages_patch_thread ON messages (thread)"
    " WHERE kind IN ('patch', 'cover')",
    f"CREATE INDEX IF NOT EXISTS messages_unthreaded ON messages (from_addr, version, total,"
    f" date) WHERE {UNTHREADED}",
    f"CREATE INDEX IF NOT EXISTS messages_unthreaded_at ON messages (from_addr, version,"
    f" total, epoch, pos) WHERE {UNTHREADED}",
)

#: The tables the rows live in; dropped and made again when the fingerprint changes.
SCHEMA = ("""CREATE TABLE IF NOT EXISTS messages (
    epoch INTEGER NOT NULL,         -- epoch number (git/N.git)
    pos INTEGER NOT NULL,           -- 0-based position of the commit in its epoch
    commit_id TEXT NOT NULL,
    commit_time INTEGER NOT NULL,
    blob TEXT,                      -- message blob; NULL when the commit adds none
    reason TEXT NOT NULL,           -- why there is no message ('' when there is one)
    date INTEGER NOT NULL,          -- Date header, else commit time (what --since reads)
    message_id TEXT,
    subject TEXT,
    date_ok INTEGER,                -- 0 when date fell back to the commit time
    from_name TEXT,
    from_addr TEXT,                 -- header sender, relay munging undone
    author_name TEXT,
    author_addr TEXT,               -- contributor: in-body From, else the sender
    in_reply_to TEXT,
    refs TEXT,                      -- JSON array of References message-ids
    list_id TEXT,
    kind TEXT,                      -- patch, cover, reply, pull, other
    files_changed INTEGER,          -- diffstat summary (NULL without one)
    insertions INTEGER,
    deletions INTEGER,
    trailers TEXT,                  -- JSON array of [name, value]
    version INTEGER,                -- subject tags: vN, N/M, other bracket tokens
    counter INTEGER,
    total INTEGER,
    prefixes TEXT,                  -- JSON array (RFC, RESEND, tree names …)
    thread TEXT,                    -- thread root: first Reference, In-Reply-To or own id
    series_key TEXT,                -- patch emails: thread|vN|total|sender
    has_diff INTEGER,               -- 1 when the body carries a diff
    paths TEXT,                     -- patch emails: JSON array of the files the diff touches
    change_id TEXT,                 -- b4's change-id: of a patch email ('' without)
    base_commit TEXT,               -- base-commit: of a patch email ('' without)
    applied TEXT,                   -- replies: JSON [tree, branch, patches, commits, queued]
                                    -- of an applied note (NULL without one)
    asks_respin INTEGER,            -- replies: 1 when it asks for a new version
    subject_parse TEXT,             -- JSON [text, tags, is_reply, is_patch, is_pull]: with
                                    -- version, counter, total the parsed subject, so stats
                                    -- group series without parsing subjects again
    lead_key TEXT,                  -- covers and patches: subject text without tags, lower
                                    -- case, white space folded (how b4 matches postings)
    series INTEGER,                 -- covers and patches: epoch << 32 | pos of the series'
                                    -- first message (index.grouping; NULL: a duplicate)
    reach INTEGER,                  -- the earliest place that series can depend on
    PRIMARY KEY (epoch, pos)
)""",
    "CREATE INDEX IF NOT EXISTS messages_commit ON messages (commit_id)",
    "CREATE INDEX IF NOT EXISTS messages_date ON messages (date)",
    "CREATE INDEX IF NOT EXISTS messages_thread ON messages (thread)",
    # Earlier postings of a series are looked up by sender (or in-body author) and subject
    # key; the newest message by the newest commit time: without these each digest from
    # the index reads every row, or every lead of its authors' years.
    "CREATE INDEX IF NOT EXISTS messages_sender ON messages (from_addr, lead_key)"
    " WHERE kind IN ('cover', 'patch')",
    "CREATE INDEX IF NOT EXISTS messages_commit_time ON messages (commit_time)",
    # serve's pages: a series by its key, a person's patch emails
    "CREATE INDEX IF NOT EXISTS messages_series ON messages (series_key)",
    "CREATE INDEX IF NOT EXISTS messages_author ON messages (author_addr, lead_key)",
    "CREATE INDEX IF NOT EXISTS messages_change_id ON messages (change_id) WHERE change_id != ''",
    "CREATE INDEX IF NOT EXISTS messages_unread ON messages (epoch) WHERE blob IS NOT NULL"
    " AND reason != ''",
    # stats over a whole index or dates: every count's columns in a row a fifteenth of
    # the table's, and the replies that have trailers (the reviews).
    "CREATE INDEX IF NOT EXISTS messages_stats ON messages (date, reason, kind, date_ok,"
    " author_addr, author_name, epoch, pos)",
    "CREATE INDEX IF NOT EXISTS messages_reviewed ON messages (epoch, pos)"
    " WHERE kind = 'reply' AND trailers != '[]'",
    *GROUPING_INDEXES,
    """CREATE TABLE IF NOT EXISTS epochs (
    epoch INTEGER PRIMARY KEY,
    tip TEXT,                       -- newest indexed commit (NULL: none yet)
    count INTEGER NOT NULL          -- rows of this epoch (positions 0 … count-1)
)""",
    # Full-text search over the patch emails (serve's search): kept by triggers, so every
    # insert and delete of an update (a rewrite's too) keeps it equal to the rows.
    """CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5 (
    subject, author, trailers, paths, tokenize = 'unicode61 remove_diacritics 2'
)""",
    f"""CREATE TRIGGER IF NOT EXISTS search_add AFTER INSERT ON messages
    WHEN new.kind IN ('patch', 'cover') BEGIN
    INSERT INTO search (rowid, subject, author, trailers, paths) VALUES (new.rowid,
        {_SEARCHED.format(row="new.")});
END""",
    """CREATE TRIGGER IF NOT EXISTS search_drop AFTER DELETE ON messages BEGIN
    DELETE FROM search WHERE rowid = old.rowid;
END""")

#: ``search`` filled from every row at once, as the trigger fills it row by row (the
#: end of a fresh build, see ``index.db.end_bulk``).
FILL_SEARCH = ("INSERT INTO search (rowid, subject, author, trailers, paths) SELECT rowid, "
               f"{_SEARCHED.format(row='')} FROM messages WHERE kind IN ('patch', 'cover')")

#: One encoder for every row: ``json.dumps`` with options builds a new one per call.
_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: ``json.loads`` without its keyword handling: called for several columns of each row.
_loads = json.JSONDecoder().decode

INSERT = (f"INSERT INTO messages ({', '.join(COLUMNS)}) "
          f"VALUES ({', '.join('?' * len(COLUMNS))})")
REPLACE = INSERT.replace("INSERT", "INSERT OR REPLACE", 1)
SELECT = f"SELECT {', '.join(COLUMNS)} FROM messages"


def row_of(pos: int, item: Scanned) -> tuple:  # type: ignore[type-arg]
    """The row for one scanned commit at position ``pos`` of its epoch."""
    e, m = item.entry, item.message
    head = (e.epoch, pos, e.commit, e.time, e.blob)
    if m is None:
        return (*head, item.reason, e.time, *(None,) * (len(COLUMNS) - 7))
    tags = m.tags
    thread = m.references[0] if m.references else m.in_reply_to or m.message_id
    series_key = None
    if m.is_patch_email:
        root = thread if tags.counter is not None else m.message_id
        series_key = f"{root}|v{tags.version}|{tags.total or ''}|{m.from_addr}"
    files, ins, dels = m.diffstat or (None, None, None)
    return (*head, "", m.date, m.message_id, m.subject, m.date_ok, m.from_name,
            m.from_addr, m.author_name, m.author_addr, m.in_reply_to,
            _json(m.references), m.list_id, m.kind, files, ins, dels, _json(m.trailers),
            tags.version, tags.counter, tags.total, _json(tags.prefixes), thread, series_key,
            m.has_diff, _json(item.paths), m.change_id, m.base_commit, _note_json(m.applied),
            m.asks_respin, _to_json((tags.text, tags.tags, tags.is_reply, tags.is_patch,
                                     tags.is_pull)),
            lead_key(tags.text) if m.kind in ("cover", "patch") else None, None, None)


def lead_key(text: str) -> str:
    """A subject's text as postings of one series share it: case and white space
    ignored."""
    return " ".join(text.lower().split())


def subject_of(subject: str, version: int, counter: int | None, total: int | None,
               parse: str) -> Subject:
    """The parsed subject a row keeps (its ``subject`` … ``subject_parse`` columns):
    what ``parse_subject`` gives, without its regular expressions."""
    text, tags, is_reply, is_patch, is_pull = _loads(parse)
    return Subject(subject, text, tuple(tags), is_reply, is_patch, is_pull, version,
                   counter, total)


def _note_json(note: AppliedNote | None) -> str | None:
    if note is None:
        return None
    return _to_json((note.tree, note.branch, note.patches, note.commits, note.queued))


def _note_of(value: str | None) -> AppliedNote | None:
    if value is None:
        return None
    tree, branch, patches, commits, queued = _loads(value)
    return AppliedNote(tree, branch, None if patches is None else tuple(patches),
                       tuple(commits), queued)


def _json(items: tuple) -> str:  # type: ignore[type-arg]
    return _to_json(items) if items else "[]"


def scanned_of(row: tuple) -> Scanned:  # type: ignore[type-arg]
    """The ``Scanned`` item a row was made from (a Message equal to the parser's)."""
    reason = row[5]
    entry = CommitEntry(row[2], row[0], row[3], row[4], reason if row[4] is None else "")
    if reason:
        return Scanned(entry, None, reason)
    paths = row[29]
    return Scanned(entry, message_of(row), paths=() if paths == "[]" else tuple(_loads(paths)))


def message_of(row: tuple) -> Message:  # type: ignore[type-arg]
    """The Message of a row that holds one (``reason`` empty), equal to the parser's.

    Each column is read once, by position, and the record built with positional
    arguments: a week's digest makes ten thousand of them, and keyword arguments and
    the decoder's wrapper were a third of the cost."""
    (epoch, _pos, commit, ctime, blob, _reason, date, message_id, subject, date_ok,
     from_name, from_addr, author_name, author_addr, in_reply_to, refs, list_id, kind,
     files, ins, dels, trailers, version, counter, total, _prefixes, _thread,
     _series_key, has_diff, _paths, change_id, base_commit, applied, asks_respin,
     subject_parse, _lead_key, _series, _reach) = row
    return Message(
        commit, epoch, blob, ctime, message_id, subject, date, bool(date_ok), from_name,
        from_addr, author_name, author_addr, in_reply_to,
        () if refs == "[]" else tuple(_loads(refs)), list_id, kind,
        None if files is None else (files, ins, dels),
        () if trailers == "[]" else tuple(map(tuple, _loads(trailers))), bool(has_diff),
        change_id, base_commit, None if applied is None else _note_of(applied),
        bool(asks_respin),
        # Patch emails' subjects are read by grouping and every renderer: the parse the
        # row keeps costs a seventh of parsing again (a week's digest spent a fifth of
        # its time there). Other subjects are parsed if ever asked for.
        subject_of(subject, version, counter, total, subject_parse) if kind in _LEADS
        else None)


_LEADS = frozenset(("cover", "patch"))


#: Host parameters per query: well under SQLite's limit.
CHUNK = 500


def rows_in(db: sqlite3.Connection, sql: str, keys: Sequence[object],
            tail: tuple[object, ...] = ()) -> Iterator[tuple]:  # type: ignore[type-arg]
    """The rows of ``sql`` whose ``IN ({})`` list is filled with ``keys``, a chunk of them
    per query, each chunk's parameters followed by ``tail``."""
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i:i + CHUNK]
        yield from db.execute(sql.format(",".join("?" * len(chunk))), (*chunk, *tail))
