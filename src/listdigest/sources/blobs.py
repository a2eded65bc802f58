"""Read many blobs through one ``git cat-file --batch`` process.

One long-lived process is several times faster than a git call per message, and
faster than pygit2 or dulwich for this access pattern (measured, see README).
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from listdigest.sources.archive import GIT_ENV


def read_blobs(repo: Path, ids: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
    """Yield ``(id, content)`` for each id in order; content is None when git lacks
    the object (a partial clone without large blobs, a damaged repository)."""
    if not ids:
        return
    proc = subprocess.Popen(
        ["git", "-c", "protocol.allow=never", "--git-dir", str(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=GIT_ENV, bufsize=1 << 20,
    )
    stdin, out = proc.stdin, proc.stdout
    assert stdin is not None and out is not None

    def feed() -> None:
        # A thread writes while we read, so neither pipe buffer can fill and deadlock.
        try:
            stdin.write("".join(f"{oid}\n" for oid in ids).encode())
            stdin.close()
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for oid in ids:
            header = out.readline()
            parts = header.split()
            if len(parts) == 3:
                data = out.read(int(parts[2]))
                out.read(1)
                yield oid, data
            else:  # "<id> missing", or git died
                yield oid, None
    finally:
        if proc.poll() is None:
            proc.kill()
        out.close()
        proc.wait()
        writer.join()
