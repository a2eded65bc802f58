"""Clone a lore-style public-inbox v2 archive over HTTP(S), and keep the clone up to date.

Lore serves epoch N of a list at ``URL/N``. Like public-inbox-clone, the epochs are found
from ``URL/manifest.js.gz`` (a gzip'd grokmirror manifest whose keys look like
``/kvm/git/0.git``) and, for servers without one, by probing ``URL/0``, ``URL/1``, … until
one is not a git repository. Each epoch is a ``git clone --mirror`` whose remote "origin"
keeps its URL, so updating needs nothing but the folder.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
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


def mirror(url: str, dest: Path, *, progress: bool = False) -> list[Path]:
    """Clone every epoch of the v2 inbox at ``url`` into ``dest/git/N.git``; return their
    paths. ``dest`` must be new or empty, so a slip cannot scatter epochs into a folder that
    holds something else (an existing mirror is refreshed with :func:`update`)."""
    url = _inbox_url(url)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArchiveError(f"{dest} exists and is not empty (to refresh a mirror, update it)")
    found = _fetch_manifest(url)
    if found is not None:
        manifest, entries = found
        numbers = sorted(entries)
    else:
        manifest, entries = None, {}
        numbers, reason = _probe(url, 0)
        if not numbers:
            raise ArchiveError(
                f"{url} is not a public-inbox v2 archive (no manifest.js.gz, "
                f"and {url}/0 is not a git repository: {reason})"
            )
    dest.mkdir(parents=True, exist_ok=True)
    paths = [_clone(url, n, dest, entries.get(n, {}), progress) for n in numbers]
    _write_inbox_files(url, dest, entries, manifest)
    return paths


def update(dest: Path, *, progress: bool = False) -> MirrorUpdate:
    """Fetch every epoch of the mirror in ``dest`` and clone the epochs the list gained since
    (a list starts a new epoch every ~1GB). Fetches force refs and prune, so the mirror
    follows lore when it rewrites history."""
    if not (dest / "git").is_dir():
        raise ArchiveError(f"{dest} is not a mirror: it has no git/N.git epochs")
    archive = Archive.open(dest)
    url = _origin_base(archive.epochs[-1])
    local = {epoch.number for epoch in archive.epochs}
    found = _fetch_manifest(url)
    if found is not None:
        manifest, entries = found
        new = sorted(set(entries) - local)
    else:
        manifest, entries = None, {}
        new, _ = _probe(url, max(local) + 1)
    changes = []
    for epoch in archive.epochs:
        old = archive.head(epoch)
        _net_git(["--git-dir", str(epoch.path), "fetch"], ["--prune", "--force", "origin"],
                 f"git fetch into {epoch.path}", progress)
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
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ArchiveError(f"not an http(s) URL of an archive: {url}")
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
    """Epochs ``start``, ``start+1``, … that answer ``git ls-remote``, and why the next did
    not: how public-inbox finds epochs on a server without a manifest."""
    found: list[int] = []
    while True:
        proc = subprocess.run(
            ["git", *_NET, "ls-remote", f"{url}/{start + len(found)}"],
            capture_output=True, env=GIT_ENV, check=False,
        )
        if proc.returncode != 0:
            return found, _last_line(proc.stderr)
        found.append(start + len(found))


def _clone(url: str, n: int, dest: Path, entry: dict[str, Any], progress: bool) -> Path:
    """``git clone --mirror URL/N dest/git/N.git``; the clone's origin remembers the URL."""
    path = dest / "git" / f"{n}.git"
    _net_git(["clone"], ["--mirror", f"{url}/{n}", str(path)], f"git clone {url}/{n}", progress)
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip():
        description = f"mirror of {url}/{n}"
    (path / "description").write_text(description.strip() + "\n")
    return path


def _write_inbox_files(url: str, dest: Path, entries: dict[int, dict[str, Any]],
                       manifest: bytes | None) -> None:
    """Write what public-inbox-clone writes beside the epochs when it costs at most a request:
    the inbox description, the server's manifest (public-inbox-fetch reuses it) and the
    server's inbox config as ``inbox.config.example`` (it names the list's address)."""
    names = [_EPOCH_SUFFIX_RE.sub("", d) for e in entries.values()
             if isinstance(d := e.get("description"), str) and d.strip()]
    (dest / "description").write_text((names[0] if names else f"mirror of {url}") + "\n")
    if manifest is not None:
        (dest / "manifest.js.gz").write_bytes(manifest)
    config = _http_get(f"{url}/_/text/config/raw")
    if config is not None and config.lstrip().startswith(b"[publicinbox"):
        (dest / "inbox.config.example").write_bytes(config)


def _net_git(command: list[str], args: list[str], what: str, progress: bool) -> None:
    """Run a clone or fetch. With ``progress`` git draws its meter on our stderr; otherwise
    its output is kept for the one-line error."""
    cmd = ["git", *_NET, *command, "--progress" if progress else "--quiet", *args]
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
