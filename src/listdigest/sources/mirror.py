"""Clone a public-inbox v2 archive, and keep the clone up to date.

The layouts public-inbox-clone handles are accepted: lore serves epoch N of a list at
``URL/N``; a grokmirror server at ``URL/git/N.git``, the path its ``manifest.js.gz``
names (keys such as ``/kvm/git/0.git``); a local inbox folder holds ``git/N.git``. Like
public-inbox-clone, the epochs are found from ``URL/manifest.js.gz`` and, for servers
without one, by probing ``URL/0``, ``URL/1``, … (or ``URL/git/0.git``, …) until one is
not a git repository. Each epoch is a ``git clone --mirror`` whose remote "origin" keeps
its URL, so updating needs nothing but the folder. A clone is built beside its folder
and moved into place only when every epoch arrived: a failed clone leaves nothing.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from listdigest.errors import ArchiveError
from listdigest.sources.archive import GIT_ENV, Archive, Epoch, git, is_ancestor

#: Network git calls may only speak HTTP(S): a URL is user input, and lore serves nothing else.
_NET = ("-c", "protocol.allow=never",
        "-c", "protocol.http.allow=always", "-c", "protocol.https.allow=always")
#: A local source (an inbox folder) is cloned over git's file transport, and only it.
_LOCAL = ("-c", "protocol.allow=never", "-c", "protocol.file.allow=always")
_MANIFEST_KEY_RE = re.compile(r"^(?P<inbox>(?:/[^/]+)*)/git/(?P<n>\d+)\.git$")
# An epoch's origin: lore's ``URL/N`` or the manifest's ``URL/git/N.git`` (public-inbox-clone).
_ORIGIN_RE = re.compile(r"^(?P<base>.+?)(?:/git/\d+\.git|/\d+)/?$")
_EPOCH_SUFFIX_RE = re.compile(r"\s*\[epoch \d+\]\s*$")
_HTTP_TIMEOUT = 60  # seconds; a stalled server should fail, not hang the command


@dataclass(frozen=True, slots=True)
class EpochChange:
    """What an update did to one epoch. ``old``/``new`` are its tips before and after (None
    for no commits); ``forced`` means ``new`` does not contain ``old``: lore rewrote the
    history, e.g. to remove spam, so anything derived from the old commits is stale."""

    number: int
    path: Path
    old: str | None
    new: str | None
    cloned: bool = False
    forced: bool = False

    @property
    def status(self) -> str:
        """"cloned", "updated" or "unchanged"."""
        if self.cloned:
            return "cloned"
        return "unchanged" if self.old == self.new else "updated"


@dataclass(frozen=True, slots=True)
class MirrorUpdate:
    """The inbox URL an update fetched from, and one change per epoch in epoch order."""

    url: str
    epochs: tuple[EpochChange, ...]

    @property
    def arrived(self) -> int:
        """Messages (commits) the mirror gained."""
        return sum(count_commits(e.path, e.old, e.new) for e in self.epochs)


def count_commits(repo: Path, old: str | None, new: str | None) -> int:
    """Commits of ``new`` not in ``old`` (all of them when ``old`` is None or gone)."""
    if new is None or old == new:
        return 0
    kept = old is not None and subprocess.run(
        ["git", "--git-dir", str(repo), "cat-file", "-e", f"{old}^{{commit}}"],
        capture_output=True, env=GIT_ENV, check=False).returncode == 0
    spec = [f"{old}..{new}"] if kept else [new]
    return int(git(repo, "rev-list", "--count", *spec).decode().strip() or 0)


def mirror(url: str, dest: Path, *, progress: bool = False) -> list[Path]:
    """Clone every epoch of the v2 inbox at ``url`` (a lore or grokmirror URL, or a local
    inbox folder) into ``dest/git/N.git``; return their paths. ``dest`` must be new or
    empty, so a slip cannot scatter epochs into a folder that holds something else (an
    existing mirror is refreshed with :func:`update`). The clone is built in a folder
    beside ``dest`` and renamed into place at the end: a failure leaves nothing."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArchiveError(f"{dest} exists and is not empty (to refresh a mirror, update it)")
    local = _local_source(url)
    entries: dict[int, dict[str, Any]] = {}
    if local is not None:
        url, manifest = str(local), None
        numbers = [e.number for e in Archive.open(local).epochs]
    else:
        url = _inbox_url(url)
        found = _fetch_manifest(url)
        if found is not None:
            manifest, entries = found
            numbers = sorted(entries)
        else:
            manifest = None
            numbers, reason = _probe(url, 0)
            if not numbers:
                raise ArchiveError(
                    f"{url} is not a public-inbox v2 archive (no manifest.js.gz, and neither "
                    f"{url}/0 nor {url}/git/0.git is a git repository: {reason})"
                )
    dest.parent.mkdir(parents=True, exist_ok=True)
    building = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    try:
        building.mkdir()
        for n in numbers:
            _clone(url, n, building, entries.get(n, {}), progress)
        _write_inbox_files(url, building, entries, manifest)
        if dest.exists():
            dest.rmdir()  # empty, as checked
        building.rename(dest)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return [dest / "git" / f"{n}.git" for n in numbers]


def origin_url(dest: Path) -> str:
    """The URL (or local folder) the mirror in ``dest`` fetches from."""
    if not (dest / "git").is_dir():
        raise ArchiveError(f"{dest} is not a mirror: it has no git/N.git epochs")
    return _origin_base(Archive.open(dest).epochs[-1])


def _local_source(url: str) -> Path | None:
    """A local inbox folder given instead of a URL (``file://`` or a path), else None."""
    if url.startswith("file://"):
        url = url[len("file://"):]
    elif "://" in url:
        return None
    path = Path(url).expanduser()
    if not path.exists():
        raise ArchiveError(f"no such archive: {path} (give an http(s) URL or an inbox folder)")
    archive = Archive.open(path)
    if archive.kind != "v2":
        raise ArchiveError(f"{path} is not a public-inbox v2 inbox (git/N.git epochs)")
    return path.resolve()


def update(dest: Path, *, progress: bool = False) -> MirrorUpdate:
    """Fetch every epoch of the mirror in ``dest`` and clone the epochs the list gained since
    (a list starts a new epoch every ~1GB). Fetches force refs and prune, so the mirror
    follows lore when it rewrites history."""
    if not (dest / "git").is_dir():
        raise ArchiveError(f"{dest} is not a mirror: it has no git/N.git epochs")
    archive = Archive.open(dest)
    url = _origin_base(archive.epochs[-1])
    local = {epoch.number for epoch in archive.epochs}
    entries: dict[int, dict[str, Any]] = {}
    manifest = None
    if not url.startswith(("http://", "https://")):  # a local source: its epochs are folders
        new = sorted({e.number for e in Archive.open(url).epochs} - local)
    elif (found := _fetch_manifest(url)) is not None:
        manifest, entries = found
        new = sorted(set(entries) - local)
    else:
        new, _ = _probe(url, max(local) + 1)
    changes = []
    for epoch in archive.epochs:
        old = archive.head(epoch)
        _net_git(["--git-dir", str(epoch.path), "fetch"], ["--prune", "--force", "origin"],
                 f"git fetch into {epoch.path}", progress, local=not url.startswith("http"))
        tip = archive.head(epoch)
        changes.append(EpochChange(epoch.number, epoch.path, old, tip,
                                   forced=_is_forced(epoch.path, old, tip)))
    for n in new:
        path = _clone(url, n, dest, entries.get(n, {}), progress)
        changes.append(EpochChange(n, path, None, archive.head(Epoch(n, path)), cloned=True))
    if manifest is not None:
        (dest / "manifest.js.gz").write_bytes(manifest)
    return MirrorUpdate(url, tuple(changes))


def _inbox_url(url: str) -> str:
    """The inbox URL without trailing slashes; only HTTP(S), the one transport lore offers."""
    try:  # "http://[::1" makes urlsplit raise; a NUL or other control byte is no URL
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.netloc
            or any(ord(c) < 32 or ord(c) == 127 for c in url)):
        raise ArchiveError(f"not an http(s) URL of an archive: {url!r}")
    return url.rstrip("/")


def _http_get(url: str) -> bytes | None:
    """The body at ``url``, or None when the server answers with an HTTP error (the file
    is optional); a server that cannot be reached is an error."""
    try:
        with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        exc.close()
        return None
    except (OSError, http.client.HTTPException) as exc:
        raise ArchiveError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}") from exc


def _fetch_manifest(url: str) -> tuple[bytes, dict[int, dict[str, Any]]] | None:
    """The raw manifest and its entries by epoch number, or None when the server has no
    usable manifest for this inbox (then epochs are probed)."""
    raw = _http_get(f"{url}/manifest.js.gz")
    if raw is None:
        return None
    try:
        manifest = json.loads(gzip.decompress(raw))
    except (OSError, EOFError, zlib.error, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    # A manifest may list several inboxes; keep the one whose path ends the URL's path
    # (servers may mount public-inbox below a prefix the manifest does not show).
    path = urlsplit(url).path.rstrip("/")
    by_inbox: dict[str, dict[int, dict[str, Any]]] = {}
    for key, entry in manifest.items():
        m = _MANIFEST_KEY_RE.match(key)
        if m and path.endswith(m["inbox"]):
            epochs = by_inbox.setdefault(m["inbox"], {})
            epochs[int(m["n"])] = entry if isinstance(entry, dict) else {}
    if not by_inbox:
        return None
    return raw, by_inbox[max(by_inbox, key=len)]


def _probe(url: str, start: int) -> tuple[list[int], str]:
    """Epochs ``start``, ``start+1``, … that answer ``git ls-remote`` (at ``URL/N`` or
    ``URL/git/N.git``), and why the next did not: how public-inbox finds epochs on a
    server without a manifest."""
    found: list[int] = []
    while True:
        reason = ""
        for candidate in _epoch_urls(url, start + len(found)):
            proc = subprocess.run(["git", *_NET, "ls-remote", candidate],
                                  capture_output=True, env=GIT_ENV, check=False)
            if proc.returncode == 0:
                break
            reason = reason or _last_line(proc.stderr)
        else:
            return found, reason
        found.append(start + len(found))


def _epoch_urls(url: str, n: int) -> list[str]:
    """Where epoch N may be: a local folder's ``git/N.git``; lore's ``URL/N``, then
    grokmirror's ``URL/git/N.git``."""
    if not url.startswith(("http://", "https://")):
        return [f"{url}/git/{n}.git"]
    return [f"{url}/{n}", f"{url}/git/{n}.git"]


def _clone(url: str, n: int, dest: Path, entry: dict[str, Any], progress: bool) -> Path:
    """``git clone --mirror`` of epoch N into ``dest/git/N.git``, from the first place
    that serves it; the clone's origin remembers that URL."""
    path = dest / "git" / f"{n}.git"
    local = not url.startswith(("http://", "https://"))
    candidates = _epoch_urls(url, n)
    for i, source in enumerate(candidates):
        try:
            _net_git(["clone"], ["--mirror", source, str(path)], f"git clone {source}",
                     progress, local=local)
            break
        except ArchiveError:
            shutil.rmtree(path, ignore_errors=True)
            if i == len(candidates) - 1:
                raise
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip():
        description = f"mirror of {url}/{n}"
    # A local source's path may hold bytes that are not UTF-8: written back as they are.
    (path / "description").write_text(description.strip() + "\n", encoding="utf-8",
                                      errors="surrogateescape")
    return path


def _write_inbox_files(url: str, dest: Path, entries: dict[int, dict[str, Any]],
                       manifest: bytes | None) -> None:
    """Write what public-inbox-clone writes beside the epochs when it costs at most a request:
    the inbox description, the server's manifest (public-inbox-fetch reuses it) and the
    server's inbox config as ``inbox.config.example`` (it names the list's address)."""
    names = [_EPOCH_SUFFIX_RE.sub("", d) for e in entries.values()
             if isinstance(d := e.get("description"), str) and d.strip()]
    (dest / "description").write_text((names[0] if names else f"mirror of {url}") + "\n",
                                      encoding="utf-8", errors="surrogateescape")
    if manifest is not None:
        (dest / "manifest.js.gz").write_bytes(manifest)
    if not url.startswith(("http://", "https://")):
        return  # a local source: nothing to ask a server for
    config = _http_get(f"{url}/_/text/config/raw")
    if config is not None and config.lstrip().startswith(b"[publicinbox"):
        (dest / "inbox.config.example").write_bytes(config)


def _net_git(command: list[str], args: list[str], what: str, progress: bool, *,
             local: bool = False) -> None:
    """Run a clone or fetch (``local``: from an inbox folder). With ``progress`` git draws
    its meter on our stderr; otherwise its output is kept for the one-line error."""
    cmd = ["git", *(_LOCAL if local else _NET), *command,
           "--progress" if progress else "--quiet", *args]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                          stderr=None if progress else subprocess.PIPE, env=GIT_ENV, check=False)
    if proc.returncode != 0:
        reason = _last_line(proc.stderr) if proc.stderr is not None else "see git's message above"
        raise ArchiveError(f"{what} failed: {reason}")


def _last_line(stderr: bytes) -> str:
    """git's last message line (its progress meter redraws lines with carriage returns)."""
    lines = [s.strip() for s in re.split(r"[\r\n]", stderr.decode("utf-8", "replace"))]
    return next((s for s in reversed(lines) if s), "error")


def _origin_base(epoch: Epoch) -> str:
    """The inbox URL, from the origin of an epoch of the mirror."""
    try:
        origin = git(epoch.path, "config", "--get", "remote.origin.url").decode().strip()
    except ArchiveError:
        raise ArchiveError(
            f"{epoch.path.parent.parent} is not a mirror: {epoch.path} has no remote origin"
        ) from None
    m = _ORIGIN_RE.match(origin)
    if not m:
        raise ArchiveError(f"{epoch.path}: origin {origin} is not the URL of an epoch (URL/N)")
    return m["base"]


def _is_forced(repo: Path, old: str | None, new: str | None) -> bool:
    """Whether the fetch replaced history instead of adding to it."""
    if old is None or new is None or old == new:
        return False
    return not is_ancestor(repo, old, new)
