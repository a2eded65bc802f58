"""A person's addresses merged by a ``.mailmap`` file, read by git itself.

The file is git's format (``Proper Name <proper@addr> Commit Name <commit@addr>`` and
its shorter forms, see gitmailmap(5)); ``git check-mailmap`` maps every contact, so
its rules (case-insensitive addresses, a name only where the entry names one) are
git's own.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from listdigest.errors import ListdigestError
from listdigest.sources.archive import GIT_ENV

_CONTACT_RE = re.compile(r"^(.*?)\s*<([^<>]*)>$")


class Mailmap:
    """The mapping of one mailmap file, asked of git in one batch per call."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise ListdigestError(f"no mailmap file: {path}")
        self.path = path

    def lookup(self, repo: Path,
               people: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
        """``(name, address)`` → the mapped pair, for the pairs the file changes. ``repo``
        is any git repository (check-mailmap needs one; its own .mailmap is not read)."""
        wanted = sorted((n, a) for n, a in people if a and "<" not in a and ">" not in a)
        if not wanted:
            return {}
        contacts = "".join(f"{_clean(n)} <{a}>\n" if _clean(n) else f"<{a}>\n"
                           for n, a in wanted)
        proc = subprocess.run(
            ["git", "--git-dir", str(repo), "-c", f"mailmap.file={self.path}",
             "-c", "mailmap.blob=", "check-mailmap", "--stdin"],
            input=contacts.encode(), capture_output=True, env=GIT_ENV, check=False,
        )
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ListdigestError(f"cannot read mailmap {self.path}: "
                                  f"{err[-1] if err else 'git check-mailmap failed'}")
        mapped: dict[tuple[str, str], tuple[str, str]] = {}
        lines = proc.stdout.decode("utf-8", "replace").splitlines()
        for (name, addr), line in zip(wanted, lines, strict=False):
            m = _CONTACT_RE.match(line)
            if not m:
                continue
            new = (m.group(1) or name, m.group(2).lower())
            if new != (name, addr):
                mapped[(name, addr)] = new
        return mapped


def _clean(name: str) -> str:
    """A name as a contact line can carry it (no line breaks or angle brackets)."""
    return re.sub(r"[\r\n<>]+", " ", name).strip()
