"""Write a file whole or not at all, and leave no temporary file behind, even when killed.

The text goes to an unnamed file in the target's folder (Linux ``O_TMPFILE``: the
kernel frees it if the process dies, SIGKILL included), which is given a name only
once complete and at once renamed over the target. Where the filesystem refuses
``O_TMPFILE`` (or /proc is not mounted), a named temporary file ``.NAME.PID.xxxx`` is
used; such a file whose writer is gone (its pid no longer runs) is removed by the
next write of the same target.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

#: errnos by which a filesystem says it has no O_TMPFILE (the named file is used).
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT}


def write_atomic(path: Path, pieces: Iterable[str]) -> None:
    """Write ``pieces`` to ``path`` as one new file (mode 0666 less the umask); on any
    error, or a signal that ends the run, the target is as it was. OSError is left to
    the caller to say."""
    remove_stale(path)
    fd, name = _unnamed(path.parent)
    if fd is None:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.")
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.writelines(pieces)
            fh.flush()
            if name is None:  # complete: give it a name beside the target
                name = _link(fh.fileno(), path)
        os.replace(name, path)
    finally:
        if name is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


def _unnamed(folder: Path) -> tuple[int | None, str | None]:
    """An O_TMPFILE descriptor in ``folder`` (None where there is no such thing)."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None, None
    try:
        return os.open(folder, flag | os.O_WRONLY, 0o666), None
    except OSError as exc:
        if exc.errno in _NO_TMPFILE:
            return None, None
        raise


def _link(fd: int, path: Path) -> str:
    """Name the unnamed file ``fd`` ``.NAME.PID.xxxx`` beside ``path``."""
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(100):
            name = f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}"
            try:  # a dir fd makes it linkat(…, AT_SYMLINK_FOLLOW): /proc's link is followed
                os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=folder, follow_symlinks=True)
                return str(path.parent / name)
            except FileExistsError:
                continue
    finally:
        os.close(folder)
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def path_name(path: str | os.PathLike[str]) -> str:
    """A path as text that any file, stream or SQLite takes: bytes that are not UTF-8
    (Linux allows them in names; Python holds them as lone surrogates) as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def remove_stale(path: Path) -> None:
    """Remove the temporary files of earlier writes of ``path`` whose writer no longer
    runs (a SIGKILL between naming and renaming, or without O_TMPFILE)."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.[A-Za-z0-9_]+")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for entry in names:
        if (m := pattern.fullmatch(entry)) and not _running(int(m.group(1))):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path.parent / entry)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OverflowError:  # no pid is that large
        return False
    return True
