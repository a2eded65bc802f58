"""Benchmark listdigest on a whole public-inbox archive against the raw git read.

Each measurement runs a fresh child process, takes its wall time with
``time.perf_counter`` and its peak resident memory from ``os.wait4`` (the child's
own peak, or that of its largest reaped descendant, whichever is larger), repeats
it N times and reports the median. See ``bench/README.md``.

Usage::

    .venv/bin/python bench/bench.py [ARCHIVE] [-n 5] [--quick] [--json FILE]
                                     [--markdown] [--rev REV] [--listdigest PATH]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

#: The shared kvmarm archive beside the checkout (../shared), read in place.
DEFAULT_ARCHIVE = str(Path(__file__).resolve().parents[1].parent / "shared/archives/kvmarm")
ROOT = Path(__file__).resolve().parent.parent
INCREMENT = 1000  # messages added for the incremental index update
WEEK_DAYS = 7

_EPOCH_RE = re.compile(r"^(\d+)\.git$")
_V1_PATH_RE = re.compile(rb"^[0-9a-f]{2}/[0-9a-f]{38}$")
_SUMMARY_RE = re.compile(r"(\d+) commits: (\d+) messages .*?(\d+) skipped")
GIT_ENV = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_NO_LAZY_FETCH": "1"}


class BenchError(Exception):
    """A measured command failed; the message carries the end of its stderr."""


# --------------------------------------------------------------------------- running


@dataclass(slots=True)
class Run:
    """One measured child process: wall seconds, its own peak RSS in MB, the peak RSS
    of its process tree (itself or its largest reaped descendant, e.g. git cat-file)
    in MB, and its stderr text."""

    seconds: float
    rss_mb: float
    tree_rss_mb: float
    stderr: str = ""


def _rss_mb(ru_maxrss_kb: int) -> float:
    """``ru_maxrss`` (and ``VmHWM``) are in kilobytes on Linux."""
    return ru_maxrss_kb / 1024


def _wait(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    """Reap ``proc`` with ``os.wait4``: (exit status, peak RSS in kB). On Linux this
    peak is the larger of the child's own and that of its reaped descendants."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss


class HighWaterMark(threading.Thread):
    """Poll ``VmHWM`` (the peak RSS so far) of one process from /proc until it exits.

    ``wait4`` cannot tell the child's own peak from that of the git processes it
    runs; VmHWM can, and since it only grows, polling every few milliseconds misses
    at most the growth of the last few milliseconds before exit."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.path = f"/proc/{pid}/status"
        self.interval = interval
        self.kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        """Read until the process is gone (a zombie has no Vm* lines) or stopped."""
        while not self.done.is_set():
            try:
                with open(self.path, "rb") as fh:
                    status = fh.read()
            except OSError:
                return
            m = re.search(rb"^VmHWM:\s+(\d+) kB", status, re.M)
            if m is None:
                return
            self.kb = max(self.kb, int(m.group(1)))
            self.done.wait(self.interval)


def measure(cmd: Sequence[str], *, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> Run:
    """Run ``cmd`` once in a fresh process (stdout discarded, stderr kept in a file so
    a chatty child can never block on a full pipe); raise BenchError if it fails."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, env=env, cwd=cwd)
        hwm = HighWaterMark(proc.pid)
        hwm.start()
        code, tree_kb = _wait(proc)
        seconds = time.perf_counter() - start
        hwm.done.set()
        hwm.join()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if code != 0:
        tail = "\n".join(text.strip().splitlines()[-5:])
        raise BenchError(f"{' '.join(cmd)} exited {code}:\n{tail}")
    return Run(seconds, _rss_mb(hwm.kb or tree_kb), _rss_mb(tree_kb), text)


def git(repo: Path, *args: str) -> str:
    """Run a git command on ``repo`` (a git dir) and return its stdout."""
    out = subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True,
                         env=GIT_ENV, check=False)
    if out.returncode != 0:
        raise BenchError(f"git {' '.join(args)} failed in {repo}: "
                         f"{out.stderr.decode('utf-8', 'replace').strip()}")
    return out.stdout.decode()


# --------------------------------------------------------------------------- archive


def epochs_of(archive: Path) -> list[Path]:
    """The git repositories of an archive: ``git/N.git`` of a v2 inbox in order, or the
    archive itself (one epoch or a v1 repository)."""
    gitdir = archive / "git"
    if gitdir.is_dir():
        found = sorted((int(m.group(1)), p) for p in gitdir.iterdir()
                       if (m := _EPOCH_RE.match(p.name)) and (p / "objects").is_dir())
        if found:
            return [p for _, p in found]
    for candidate in (archive, archive / ".git"):
        if (candidate / "objects").is_dir() and (candidate / "HEAD").is_file():
            return [candidate]
    raise BenchError(f"{archive} is not a public-inbox archive")


def _is_message_path(path: bytes) -> bool:
    return path == b"m" or bool(_V1_PATH_RE.match(path))


def raw_read(epochs: Sequence[Path]) -> tuple[Run, int, int]:
    """The raw baseline: for each epoch, ``git rev-list --objects HEAD`` piped (keeping
    the message blobs, path ``m`` or a v1 ``ab/cdef…``) into ``git cat-file --batch``,
    whose whole output is read through a pipe. Returns the run (wall time; peak RSS of
    the largest git process), the number of blobs and of bytes read."""
    blobs = nbytes = 0
    peak = 0
    start = time.perf_counter()
    for repo in epochs:
        base = ["git", "--git-dir", str(repo)]
        lister = subprocess.Popen([*base, "rev-list", "--objects", "HEAD"],
                                  stdout=subprocess.PIPE, env=GIT_ENV)
        reader = subprocess.Popen([*base, "cat-file", "--batch"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, env=GIT_ENV)
        assert lister.stdout is not None and reader.stdin is not None
        assert reader.stdout is not None
        counted: list[int] = []

        def feed(src: IO[bytes], dst: IO[bytes], counted: list[int]) -> None:
            n = 0
            for line in src:
                oid, _, path = line.rstrip(b"\n").partition(b" ")
                if path and _is_message_path(path):
                    dst.write(oid + b"\n")
                    n += 1
            dst.close()
            counted.append(n)

        feeder = threading.Thread(target=feed, args=(lister.stdout, reader.stdin, counted))
        feeder.start()
        while chunk := reader.stdout.read(1 << 20):
            nbytes += len(chunk)
        feeder.join()
        for proc in (lister, reader):
            code, rss = _wait(proc)
            if code != 0:
                raise BenchError(f"git {proc.args[3]} failed in {repo} (exit {code})")
            peak = max(peak, rss)
        blobs += counted[0]
    seconds = time.perf_counter() - start
    return Run(seconds, _rss_mb(peak), _rss_mb(peak)), blobs, nbytes


def count_message_blobs(repo: Path, spec: str) -> int:
    """Message blobs reachable from ``spec`` (e.g. ``tip ^base``)."""
    out = subprocess.run(["git", "--git-dir", str(repo), "rev-list", "--objects", *spec.split()],
                         capture_output=True, env=GIT_ENV, check=True).stdout
    return sum(1 for line in out.splitlines()
               if _is_message_path(line.partition(b" ")[2]))


def last_week(repo: Path) -> tuple[str, str]:
    """``--since``/``--until`` bare dates covering the last 7 days of the archive, ending
    on the (UTC) day of its newest commit."""
    tip = datetime.fromtimestamp(int(git(repo, "log", "-1", "--format=%ct").strip()), UTC)
    return ((tip - timedelta(days=WEEK_DAYS - 1)).date().isoformat(), tip.date().isoformat())


# --------------------------------------------------------------------------- machine


def machine_facts(listdigest: Sequence[str], env: dict[str, str]) -> dict[str, object]:
    """CPU model, cores, memory, Python and git versions, and the code under test."""
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    with open("/proc/meminfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    venv_python = subprocess.run([sys.executable, "--version"], capture_output=True,
                                 text=True, check=False).stdout.strip()
    version = subprocess.run([*listdigest, "--version"], capture_output=True, text=True,
                             env=env, check=False).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": venv_python,
        "git": subprocess.run(["git", "--version"], capture_output=True, text=True,
                              check=False).stdout.strip(),
        "listdigest": version,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# --------------------------------------------------------------------------- results


@dataclass(slots=True)
class Result:
    """The median of repeated runs of one measurement."""

    key: str
    what: str
    messages: int | None
    runs: list[float] = field(default_factory=list)
    rss_runs: list[float] = field(default_factory=list)
    tree_rss_runs: list[float] = field(default_factory=list)
    seconds: float | None = None
    msgs_per_s: float | None = None
    peak_rss_mb: float | None = None
    tree_rss_mb: float | None = None
    ratio_to_raw: float | None = None
    note: str = ""

    def finish(self, raw_seconds: float | None, with_ratio: bool) -> None:
        """Compute the medians and the ratio to the raw read."""
        if not self.runs:
            return
        self.seconds = statistics.median(self.runs)
        self.peak_rss_mb = statistics.median(self.rss_runs)
        self.tree_rss_mb = statistics.median(self.tree_rss_runs)
        if self.messages:
            self.msgs_per_s = self.messages / self.seconds
        if with_ratio and raw_seconds:
            self.ratio_to_raw = self.seconds / raw_seconds


def repeat(result: Result, n: int, once: Callable[[], Run]) -> list[Run]:
    """Run ``once`` n times, recording wall seconds and peak RSS in ``result``."""
    runs = []
    for i in range(n):
        run = once()
        runs.append(run)
        result.runs.append(run.seconds)
        result.rss_runs.append(run.rss_mb)
        result.tree_rss_runs.append(run.tree_rss_mb)
        print(f"  {result.key} {i + 1}/{n}: {run.seconds:.2f} s, {run.rss_mb:.0f} MB "
              f"(with git {run.tree_rss_mb:.0f} MB)",
              file=sys.stderr, flush=True)
    return runs


def digest_account(run: Run) -> tuple[int, int] | None:
    """(messages, skipped) from the one-line account a digest prints on stderr."""
    found = _SUMMARY_RE.findall(run.stderr)
    return (int(found[-1][1]), int(found[-1][2])) if found else None


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(results: Sequence[Result], markdown: bool) -> str:
    """The results as an aligned text table or a Markdown table."""
    head = ["what", "seconds", "messages/s", "peak RSS MB", "ratio to raw",
            "peak RSS incl. git MB"]
    rows = [[r.what, _fmt(r.seconds, ".2f"), _fmt(r.msgs_per_s, ",.0f"),
             _fmt(r.peak_rss_mb, ".0f"),
             "—" if r.ratio_to_raw is None else f"{r.ratio_to_raw:.1f}x",
             _fmt(r.tree_rss_mb, ".0f")]
            for r in results]
    if markdown:
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                  for row in rows]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                         for i, c in enumerate(row))

    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


# --------------------------------------------------------------------------- listdigest


def has_command(listdigest: Sequence[str], env: dict[str, str], name: str) -> bool:
    """Whether ``listdigest --help`` lists the subcommand ``name``."""
    out = subprocess.run([*listdigest, "--help"], capture_output=True, text=True, env=env,
                         check=False).stdout
    commands = out.partition("Commands:")[2]
    return any(line.split()[:1] == [name] for line in commands.splitlines())


def has_option(listdigest: Sequence[str], env: dict[str, str], command: str,
               option: str) -> bool:
    """Whether ``listdigest COMMAND --help`` lists ``option``."""
    out = subprocess.run([*listdigest, command, "--help"], capture_output=True, text=True,
                         env=env, check=False).stdout
    return re.search(rf"(^|[\s,]){re.escape(option)}([\s,=]|$)", out, re.M) is not None


def export_rev(rev: str, dest: Path) -> Path:
    """Export ``src/`` of a committed revision with ``git archive`` (the working tree is
    not touched) and return the folder to put on PYTHONPATH."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def code_under_test(rev: str | None) -> dict[str, object]:
    """Which code ran: the commit, and whether src/ had uncommitted changes."""
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev or "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip()
    if rev:
        return {"source": f"git archive {rev}", "commit": head, "dirty": False}
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return {"source": "working tree", "commit": head, "dirty": bool(dirty)}


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("archive", nargs="?", default=DEFAULT_ARCHIVE,
                   help=f"public-inbox archive (default: {DEFAULT_ARCHIVE})")
    p.add_argument("-n", "--repeat", type=int, default=5, metavar="N",
                   help="repetitions of each measurement; the median is reported (default 5)")
    p.add_argument("--quick", action="store_true", help="one repetition (a smoke run)")
    p.add_argument("--json", metavar="FILE", help="also save the results as JSON")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--rev", metavar="REV",
                   help="bench this commit of listdigest (exported with git archive) "
                        "instead of the working tree")
    p.add_argument("--listdigest", metavar="PATH",
                   help="the listdigest executable (default: the one next to this Python)")
    p.add_argument("--no-index", action="store_true", help="skip the index measurements")
    args = p.parse_args(argv)
    if args.quick:
        args.repeat = 1
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement, print the table, optionally save JSON."""
    args = parse_args(argv)
    n = args.repeat
    archive = Path(args.archive).resolve()
    epochs = epochs_of(archive)
    exe = args.listdigest or str(Path(sys.executable).parent / "listdigest")
    listdigest = [exe]
    env = dict(os.environ)
    notes: list[str] = []
    results: list[Result] = []

    with tempfile.TemporaryDirectory(prefix="listdigest-bench-") as tmpdir:
        tmp = Path(tmpdir)
        # A private data/cache home: no index at the default path is found by the
        # "no index" rows, and nothing is left in the user's folders.
        for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            env[var] = str(tmp / "home" / var.lower())
        src = ROOT / "src"
        if args.rev:
            src = export_rev(args.rev, tmp)
            env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
        # An installed listdigest has its bytecode (pip compiles it); a checkout run with
        # PYTHONDONTWRITEBYTECODE=1 would compile every module on every run.
        compileall.compile_dir(src / "listdigest", quiet=1)
        code = code_under_test(args.rev)
        facts = {**machine_facts(listdigest, env), "code": code}
        if code["dirty"]:
            notes.append("src/ had uncommitted changes: the working tree was measured")
        tips = [git(e, "rev-parse", "HEAD").strip() for e in epochs]
        print(f"listdigest bench: {archive} ({len(epochs)} epoch(s)), {n} repetition(s)",
              file=sys.stderr)

        # Warm the page cache so the first repetition is not the only cold one.
        raw_run, blobs, nbytes = raw_read(epochs)
        print(f"  warm-up raw read: {raw_run.seconds:.2f} s, {blobs} blobs, "
              f"{nbytes / 1e6:.0f} MB", file=sys.stderr)

        raw = Result("raw", "raw read: git rev-list | git cat-file --batch", blobs)
        repeat(raw, n, lambda: raw_read(epochs)[0])
        raw.finish(None, False)
        raw.ratio_to_raw = 1.0
        results.append(raw)

        def digest(*extra: str, out: str = "digest.out") -> Run:
            return measure([*listdigest, "digest", str(archive), *extra, "-o", str(tmp / out)],
                           env=env)

        def checked(result: Result, runs: list[Run], expect_all: bool) -> None:
            account = digest_account(runs[-1])
            if account is None:
                notes.append(f"{result.key}: no account line on stderr")
                return
            messages, skipped = account
            if not expect_all:
                result.messages = messages
            elif messages != blobs:
                notes.append(f"{result.key}: digest counted {messages} messages, "
                             f"the raw read {blobs} blobs")
            if skipped:
                notes.append(f"{result.key}: {skipped} commits skipped (check the parser)")

        text = Result("digest_text", "digest, whole archive (--format text)", blobs)
        checked(text, repeat(text, n, lambda: digest("--format", "text")), True)
        text.finish(raw.seconds, True)
        results.append(text)

        js = Result("digest_json", "digest, whole archive (--format json, 1 run)", blobs)
        checked(js, repeat(js, 1, lambda: digest("--format", "json")), True)
        js.finish(raw.seconds, True)
        results.append(js)

        since, until = last_week(epochs[-1])
        week_args = ("--since", since, "--until", until, "--format", "text")
        week = Result("digest_week", f"digest, last week {since}..{until}, no index", None)
        checked(week, repeat(week, n, lambda: digest(*week_args)), False)
        week.finish(raw.seconds, False)
        results.append(week)

        if args.no_index:
            notes.append("index measurements skipped (--no-index)")
        elif not has_command(listdigest, env, "index"):
            notes.append("`listdigest index` is not available: index measurements skipped")
        else:
            results += bench_index(listdigest, env, archive, epochs, tips, tmp, n, blobs,
                                   raw.seconds, week_args, notes)

    facts["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(table(results, args.markdown))
    print()
    for key, value in facts.items():
        print(f"{key}: {value}")
    print(f"archive: {archive}, {len(epochs)} epoch(s), {blobs} message blobs, "
          f"{nbytes / 1e6:.0f} MB of mail; medians of {n} run(s)")
    for note in notes:
        print(f"note: {note}")
    if args.json:
        payload = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": facts,
            "archive": {"path": str(archive), "epochs": len(epochs), "tips": tips,
                        "messages": blobs, "bytes": nbytes},
            "repetitions": n,
            "results": [asdict(r) for r in results],
            "notes": notes,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


def check_indexed(result: Result, run: Run, expected: int, notes: list[str]) -> None:
    """Note when the index says it read another number of commits than expected (its
    stderr line ``indexed N new commits``; nothing is checked if it has none)."""
    found = re.findall(r"indexed (\d+) new commits", run.stderr)
    if found and int(found[-1]) != expected:
        notes.append(f"{result.key}: index read {found[-1]} commits, expected {expected}")


def bench_index(listdigest: list[str], env: dict[str, str], archive: Path,
                epochs: list[Path], tips: list[str], tmp: Path, n: int, blobs: int,
                raw_seconds: float | None, week_args: tuple[str, ...],
                notes: list[str]) -> list[Result]:
    """Full index build, incremental update of INCREMENT messages, and a one-week digest
    with the index present. A failing index command is reported, not fatal."""
    results: list[Result] = []

    def index(inbox: Path, db: Path) -> Run:
        return measure([*listdigest, "index", str(inbox), "--db", str(db)], env=env)

    full = Result("index_full", "index, full build (fresh DB)", blobs)
    dbs: list[Path] = []

    def build() -> Run:
        db = tmp / f"full-{len(dbs)}.db"
        dbs.append(db)
        return index(archive, db)

    try:
        commits = sum(int(git(e, "rev-list", "--count", t).strip())
                      for e, t in zip(epochs, tips, strict=True))
        check_indexed(full, repeat(full, n, build)[-1], commits, notes)
    except BenchError as exc:
        notes.append(f"index_full failed: {exc}")
        return results
    full.finish(raw_seconds, True)
    results.append(full)

    # Incremental: a temporary v2 inbox whose epochs are `git clone --bare --shared`
    # of the real ones (alternates, no object copied), the last one reset INCREMENT
    # commits back; index it, move it to the real tip, time the second run.
    inbox = tmp / "inbox"
    last = epochs[-1]
    clones = []
    for epoch in epochs:
        clone = inbox / "git" / (epoch.name if _EPOCH_RE.match(epoch.name) else "0.git")
        clone.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "--quiet", "--bare", "--shared", str(epoch),
                        str(clone)], check=True, env=GIT_ENV)
        clones.append(clone)
    total = int(git(last, "rev-list", "--count", tips[-1]).strip())
    back = min(INCREMENT, total - 1)
    base = git(last, "rev-parse", f"{tips[-1]}~{back}").strip()
    added = count_message_blobs(last, f"{tips[-1]} ^{base}")
    if back < INCREMENT:
        notes.append(f"index_incremental: the last epoch has only {total} commits")
    inc = Result("index_incremental", f"index, incremental update (+{added} messages)", added)

    def incremental() -> Run:
        db = tmp / f"inc-{len(inc.runs)}.db"
        git(clones[-1], "update-ref", "HEAD", base)
        index(inbox, db)
        git(clones[-1], "update-ref", "HEAD", tips[-1])
        return index(inbox, db)

    try:
        check_indexed(inc, repeat(inc, n, incremental)[-1], back, notes)
        inc.finish(raw_seconds, False)
        results.append(inc)
    except BenchError as exc:
        notes.append(f"index_incremental failed: {exc}")
    finally:
        shutil.rmtree(inbox, ignore_errors=True)

    # One-week digest with the index present: passed with --db when digest takes it.
    db = dbs[-1]
    extra: tuple[str, ...] = ()
    for option in ("--db", "--index"):
        if has_option(listdigest, env, "digest", option):
            extra = (option, str(db))
            break
    else:
        notes.append("digest_week_index: `digest` takes no --db/--index option; "
                     "measured after an index build, without naming the DB")
    week = Result("digest_week_index", "digest, last week, with the index", None)
    try:
        runs = repeat(week, n, lambda: measure(
            [*listdigest, "digest", str(archive), *week_args, *extra, "-o",
             str(tmp / "week-index.out")], env=env))
        account = digest_account(runs[-1])
        if account:
            week.messages = account[0]
        week.finish(raw_seconds, False)
        results.append(week)
    except BenchError as exc:
        notes.append(f"digest_week_index failed: {exc}")
    return results


if __name__ == "__main__":
    sys.exit(main())
