"""The index database of one archive: where it lives, its lock, its tables, its queries.

One SQLite file per archive (WAL mode), guarded by a lock file so that two runs
never write it at once. Reads return ``Scanned`` items, the same the git path
gives, so every command can take messages from either.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import operator
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from listdigest.errors import IndexError_
from listdigest.index.rows import (
    FILL_SEARCH,
    GROUPING_INDEXES,
    SCHEMA,
    SELECT,
    rows_in,
    scanned_of,
)
from listdigest.mail.scan import Scanned, scan
from listdigest.sources.archive import Archive, is_ancestor
from listdigest.sources.files import path_name

#: A row's place in the archive: its epoch and position (the first two columns).
_PLACE = operator.itemgetter(0, 1)

_STATE = "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
#: What ``messages`` keeps beside its rows (secondary indexes, the triggers that fill
#: ``search``): left out while a fresh build loads, made once from all rows at its end;
#: all but the indexes grouping series reads while it loads.
_DERIVED = tuple(s for s in SCHEMA if s.startswith(("CREATE INDEX", "CREATE TRIGGER"))
                 and s not in GROUPING_INDEXES)
_KEPT = tuple(s.split()[5] for s in GROUPING_INDEXES)  # their names
#: The ``meta`` key present while a fresh build loads (it survives a killed build).
_LOADING = "loading"
_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def default_path(archive: Archive) -> Path:
    """``<XDG data>/listdigest/index/<name>-<hash of the resolved path>.sqlite``: one
    file per archive, named so a person can tell which list it belongs to."""
    root = archive.path.resolve()
    digest = hashlib.sha1(os.fsencode(root)).hexdigest()[:12]
    name = path_name(root.name).removesuffix(".git") or "archive"
    return platformdirs.user_data_path("listdigest") / "index" / f"{name}-{digest}.sqlite"


class IndexBusy(IndexError_):
    """Another run holds the index's lock (it is writing)."""


@dataclass(slots=True)
class Index:
    """An open, locked index of ``archive`` (or, ``snapshot``, an unlocked read-only
    view of what a writer has committed so far)."""

    archive: Archive
    path: Path
    db: sqlite3.Connection
    snapshot: bool = False
    rebuilt: bool = False
    """Its rows were made by other code (another schema or parser) and were dropped on
    opening: the next update reads the archive again."""

    @contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection of the calling thread (a connection belongs to the
        thread that made it), for queries run beside this one's."""
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            yield conn
        finally:
            conn.close()

    def get_state(self, key: str) -> str | None:
        """A value kept for a caller (e.g. the position a digest was last made up to)."""
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        """Keep ``value`` under ``key``, durably, at once."""
        with transaction(self.db):
            self.db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)",
                            (key, value))

    def scanned(self, start: str | None = None, end: str | None = None) -> list[Scanned]:
        """The commits after ``start`` up to ``end`` (revisions of any epoch), as
        ``Archive.commits`` and ``scan`` give them; the index must be up to date.

        A revision that is not on an epoch's indexed line (another branch, a commit a
        rewrite dropped) is left to git, whose ``start..end`` rules then apply."""
        if self.snapshot:
            return self._snapshot_scanned(start, end)
        where = self.commit_range(start, end)
        if where is None:
            return list(scan(self.archive, self.archive.commits(start, end)))
        return self._select(f"WHERE {where[0]}", where[1])

    def commit_range(self, start: str | None,
                     end: str | None) -> tuple[str, tuple[int, ...]] | None:
        """The SQL condition (and its arguments) on ``messages`` for the commits after
        ``start`` up to ``end``; None when a revision is not on an indexed line (git
        must list that range)."""
        lo = self._position(start) if start is not None else (-1, 0)
        hi = self._position(end) if end is not None else (1 << 62, 0)
        if lo is None or hi is None:
            return None
        return "(epoch, pos) > (?, ?) AND (epoch, pos) <= (?, ?)", (*lo, *hi)

    def first_holding(self, message_ids: frozenset[str]) -> tuple[int, int] | None:
        """The (epoch, pos) of the first row, in archive order, whose Message-ID is one
        of ``message_ids``; None when no row has any."""
        # The first row of each chunk of ids; the least of them.
        return min(((epoch, pos) for epoch, pos in rows_in(
            self.db, "SELECT epoch, pos FROM messages WHERE message_id IN ({}) ORDER BY "
            "epoch, pos LIMIT 1", sorted(message_ids))), default=None)

    def commit_before(self, where: tuple[int, int]) -> str | None:
        """The commit of the row before ``where`` that is not the commit of ``where``
        (a v1 commit holds several rows); None at the archive's first commit."""
        row = self.db.execute(
            "SELECT commit_id FROM messages WHERE (epoch, pos) < (?, ?) AND commit_id != "
            "(SELECT commit_id FROM messages WHERE epoch = ? AND pos = ?) "
            "ORDER BY epoch DESC, pos DESC LIMIT 1", (*where, *where)).fetchone()
        return str(row[0]) if row else None

    def scanned_between(self, lo: float, hi: float) -> list[Scanned]:
        """The commits whose message is dated within [lo, hi] (seconds since the epoch;
        infinite bounds allowed), a commit without a message by its commit time, in
        archive order: what ``collect`` keeps of a whole-archive scan by date."""
        if self.snapshot:
            return self._snapshot_between(lo, hi)
        return self._select("WHERE date >= ? AND date <= ?", (lo, hi))

    def _trusted(self) -> dict[int, str]:
        """A snapshot's epochs whose rows hold, each with its committed tip: the tip is
        still on the epoch's line (an epoch missing here is read from git whole)."""
        tips = dict(self.db.execute("SELECT epoch, tip FROM epochs"))
        trusted = {}
        for epoch in self.archive.epochs:
            tip, head = tips.get(epoch.number), self.archive.head(epoch)
            if tip and head and (tip == head or is_ancestor(epoch.path, tip, head)):
                trusted[epoch.number] = tip
        return trusted

    def _snapshot_between(self, lo: float, hi: float) -> list[Scanned]:
        """A date range from the committed rows, and from git for what came after them."""
        trusted = self._trusted()

        def keep(ts: int) -> bool:
            return lo <= ts <= hi

        out: list[Scanned] = []
        for epoch in self.archive.epochs:
            one = replace(self.archive, epochs=(epoch,))
            tip = trusted.get(epoch.number)
            if tip is not None:
                out += self._select("WHERE epoch = ? AND date >= ? AND date <= ?",
                                    (epoch.number, lo, hi))
            out += scan(one, one.commits(tip, None), keep)
        return out

    def _snapshot_scanned(self, start: str | None, end: str | None) -> list[Scanned]:
        """A commit range: git lists its commits; committed rows give what they hold, git
        the rest."""
        trusted = self._trusted()
        entries = list(self.archive.commits(start, end))
        ids = [e.commit for e in entries if e.epoch in trusted]
        # Keyed by commit and blob: a v1 commit may add several messages.
        found: dict[tuple[str, str | None], Scanned] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for item in self._select(f"WHERE commit_id IN ({','.join('?' * len(chunk))})",
                                     tuple(chunk)):
                if item.entry.epoch in trusted:
                    found[item.entry.commit, item.entry.blob] = item
        rest = {(s.entry.commit, s.entry.blob): s for s in scan(
            self.archive, [e for e in entries if (e.commit, e.blob) not in found])}
        return [found.get((e.commit, e.blob)) or rest[e.commit, e.blob] for e in entries]

    def _position(self, rev: str) -> tuple[int, int] | None:
        epoch, commit = self.archive.resolve(rev)
        row = self.db.execute("SELECT pos FROM messages WHERE epoch = ? AND commit_id = ?",
                              (epoch.number, commit)).fetchone()
        return (epoch.number, row[0]) if row else None

    def _select(self, where: str, args: tuple) -> list[Scanned]:  # type: ignore[type-arg]
        # Put in archive order here: SQLite's ORDER BY copies every wide row through a
        # sorter, a fifth of a week's read (epoch and pos are the primary key: unique).
        rows = self.db.execute(f"{SELECT} {where}", args).fetchall()
        rows.sort(key=_PLACE)
        return [scanned_of(r) for r in rows]


def loading(conn: sqlite3.Connection) -> bool:
    """Whether a fresh build is loading rows (``start_bulk`` without ``end_bulk`` yet)."""
    return conn.execute("SELECT 1 FROM meta WHERE key = ?", (_LOADING,)).fetchone() is not None


def start_bulk(conn: sqlite3.Connection) -> None:
    """Before a fresh build's rows: drop the indexes and triggers of ``messages``. Each
    of them costs more per row than the row itself; made once at the end from all
    rows they cost a third. A build killed meanwhile stays in this state, and the next
    update goes on loading (``loading``) and ends it."""
    with transaction(conn):
        derived = conn.execute("SELECT type, name FROM sqlite_master WHERE tbl_name = "
                               "'messages' AND type IN ('index', 'trigger') AND sql "
                               "IS NOT NULL").fetchall()
        for kind, name in derived:
            if name in _KEPT:
                continue
            conn.execute(f'DROP {kind.upper()} "{name}"')
        conn.execute("DELETE FROM search")
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, '1')", (_LOADING,))


def end_bulk(conn: sqlite3.Connection) -> None:
    """After a fresh build's rows: make the indexes, fill ``search`` from the rows,
    make the triggers that keep it for updates; all in one transaction."""
    with transaction(conn):
        for statement in _DERIVED:
            if statement.startswith("CREATE INDEX"):
                conn.execute(statement)
        conn.execute("DELETE FROM search")
        conn.execute(FILL_SEARCH)
        for statement in _DERIVED:
            if statement.startswith("CREATE TRIGGER"):
                conn.execute(statement)
        conn.execute("DELETE FROM meta WHERE key = ?", (_LOADING,))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: all of it is stored, or (killed, failed) none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def fingerprint() -> str:
    """A hash of the schema and of the code that turns commits into rows: an index
    made by other parsing code is rebuilt, so it never disagrees with git."""
    import listdigest.index.grouping
    import listdigest.index.rows
    import listdigest.mail
    import listdigest.model.series
    import listdigest.sources.archive

    files = sorted(Path(listdigest.mail.__file__).parent.glob("*.py"))
    # The series of each row are group_series' over the archive (index.grouping).
    files += [Path(m.__file__ or "") for m in (listdigest.index.rows,
                                                listdigest.sources.archive,
                                                listdigest.index.grouping,
                                                listdigest.model.series)]
    h = hashlib.sha1("".join(SCHEMA).encode())
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class KeptIndex:
    """An index file of the default folder: its list, archive, size and last write."""

    path: Path
    archive: str
    size: int
    updated: float

    @property
    def name(self) -> str:
        """The list's name, from the file's name (``kvm-0123456789ab.sqlite``)."""
        return self.path.stem.rsplit("-", 1)[0]

    @property
    def gone(self) -> bool:
        """Whether its archive no longer exists."""
        return not self.archive or not Path(self.archive).exists()

    def files(self) -> list[Path]:
        """The database with its WAL, shared-memory and lock files."""
        return [self.path, *(self.path.with_name(self.path.name + s)
                             for s in ("-wal", "-shm", ".lock"))]


def kept_indexes(folder: Path | None = None) -> list[KeptIndex]:
    """The indexes of the default folder (``folder``), by name."""
    folder = folder or platformdirs.user_data_path("listdigest") / "index"
    found = []
    for path in sorted(folder.glob("*.sqlite")) if folder.is_dir() else []:
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'archive'").fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            row = None
        parts = [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
        found.append(KeptIndex(path, row[0] if row else "",
                               sum(p.stat().st_size for p in parts),
                               max(p.stat().st_mtime for p in parts)))
    return found


def prune(kept: KeptIndex) -> bool:
    """Remove an index whose archive is gone, unless a run holds it (False then)."""
    try:
        with _lock(kept.path):
            for f in kept.files():
                if f.name.endswith(".lock"):
                    continue
                f.unlink(missing_ok=True)
    except IndexBusy:
        return False
    kept.path.with_name(kept.path.name + ".lock").unlink(missing_ok=True)
    return True


def existing_path(archive: Archive, db: str | os.PathLike[str] | None) -> Path | None:
    """The index to use for ``archive``: ``db`` when given, else the default file if
    it exists (None: no index, read git)."""
    if db is not None:
        return Path(db)
    path = default_path(archive)
    return path if path.exists() else None


@contextmanager
def open_index(archive: Archive, db: str | os.PathLike[str] | None = None) -> Iterator[Index]:
    """Open (creating it if needed) and lock the index of ``archive`` at ``db`` or the
    default path; a second run on the same index is refused with one clear line, and
    any SQLite failure while it is open (a full disk) is one line too.

    The path is resolved first: an index reached through a symlink has one lock, the
    one of the file it names."""
    path = Path(db) if db is not None else default_path(archive)
    path = path.resolve()
    if path.is_dir():
        raise IndexError_(f"index {path_name(path)} is a folder, not an index file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexError_(f"cannot create the index folder {path_name(path.parent)}: "
                          f"{exc.strerror or exc}") from None
    with _lock(path):
        try:
            conn = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise IndexError_(f"cannot open index {path_name(path)}: {exc}") from None
        try:
            rebuilt = _prepare(conn, path, archive)
            yield Index(archive, path, conn, rebuilt=rebuilt)
        except sqlite3.Error as exc:  # e.g. "database or disk is full": rows so far are kept
            raise IndexError_(f"index {path_name(path)}: {exc}") from None
        finally:
            conn.close()


@contextmanager
def open_snapshot(archive: Archive, path: Path) -> Iterator[Index | None]:
    """The index at ``path`` read-only and without its lock, while another run writes
    it: SQLite's WAL gives a reader the last committed state. None (read git) when
    that state is not usable: no index yet, another archive's, or other parsing code's."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                               isolation_level=None)
    except sqlite3.Error:
        yield None
        return
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        usable = (meta.get("archive") == path_name(archive.path.resolve())
                  and meta.get("fingerprint") == fingerprint())
        conn.execute("SELECT 1 FROM epochs LIMIT 1")
    except sqlite3.Error:
        usable = False
    try:
        yield Index(archive, path, conn, snapshot=True) if usable else None
    finally:
        conn.close()


#: Descriptors of the lock files this process holds (see drop_inherited_locks).
_HELD: set[int] = set()


def drop_inherited_locks() -> None:
    """In a forked worker: close the lock descriptors inherited from the parent. A
    ``flock`` lives as long as any descriptor of it is open, so without this a worker
    that outlives a killed parent would keep the index locked."""
    for fd in _HELD:
        os.close(fd)
    _HELD.clear()


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``<db>.lock`` holding the owner's pid; released by the
    kernel when the process ends, however it ends."""
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a read-only folder: SQLite could not write its journal either
        raise IndexError_(f"cannot lock index {path_name(path)}: {exc.strerror or exc} "
                          "(the index and its folder must be writable)") from None
    _HELD.add(fd)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise IndexBusy(
                f"index {path} is in use by another listdigest run (pid {pid})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        # Unlocked before it is closed: a process forked meanwhile (a worker, git) holds
        # a copy of the descriptor, and closing ours alone would leave the lock with it.
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        _HELD.discard(fd)
        os.close(fd)


def _prepare(conn: sqlite3.Connection, path: Path, archive: Archive) -> bool:
    """Create the tables; refuse another archive's index and any other program's
    database (before touching it: not even its journal mode changes); drop rows made
    by other code (True then)."""
    try:
        _refuse_foreign(conn, path)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA recursive_triggers = ON")  # a REPLACE's delete updates search
        with transaction(conn):
            conn.execute(_META)
            conn.execute(_STATE)
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            root = path_name(archive.path.resolve())
            if meta.get("archive", root) != root:
                raise IndexError_(f"index {path_name(path)} belongs to another archive: "
                                  f"{meta['archive']}")
            rebuilt = False
            if meta.get("fingerprint") != (fp := fingerprint()):
                rebuilt = "fingerprint" in meta
                conn.execute("DROP TABLE IF EXISTS messages")
                conn.execute("DROP TABLE IF EXISTS epochs")
                conn.execute("DROP TABLE IF EXISTS search")
                conn.execute("DELETE FROM meta WHERE key = ?", (_LOADING,))
                meta.pop(_LOADING, None)
            for statement in SCHEMA:
                if _LOADING not in meta or statement not in _DERIVED:
                    conn.execute(statement)
            conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                             [("archive", root), ("fingerprint", fp)])
        return rebuilt
    except sqlite3.DatabaseError as exc:
        raise IndexError_(f"cannot open index {path_name(path)}: {exc}") from None


def _refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """A database with tables is an index only if its ``meta`` table names an archive
    and a fingerprint; anything else belongs to another program and is left alone."""
    tables = sorted(name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"))
    if not tables:
        return
    meta: dict[str, str] = {}
    if "meta" in tables:
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
        except (sqlite3.OperationalError, ValueError):  # other columns: not our table
            meta = {}
    if "archive" not in meta or "fingerprint" not in meta:
        raise IndexError_(f"{path_name(path)} is another program's SQLite database, not a "
                          f"listdigest index (tables: {', '.join(tables)}); left untouched")
