"""The scale bench: listdigest on synthetic LKML-like inboxes of 100,000 messages and up.

For each size (100,000 and ``--size``, default 200,000) it generates the inbox once
with ``bench/synth.py`` (kept in ``--data``, default ``/work/bench-data`` or
``$BENCH_DATA``, outside the checkout) and measures, each row the median of
``--repeat`` runs in fresh processes:

- a full index build (fresh database): seconds, messages/s, CPU seconds (user+sys
  of listdigest and every process it ran), peak RSS of listdigest's own processes
  (the main one and its workers, summed) and, apart, of its git processes (mostly
  the mapped pack files), and the index's size per message;
- a week digest read from that index (the archive's last 7 days);
- ``stats --by month`` over the whole index;
- an incremental update of 1,000 messages (``master`` of the last epoch moved to
  the generated branch ``more``, then moved back).

The messages/s of the sizes are compared: the build is linear when they agree
within 10%. Usage::

    .venv/bin/python bench/scale.py [--size 200000] [--repeat 1] [--data DIR]
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate

BASE = 100_000
EPOCHS = 8
MORE = 1000


@dataclass(slots=True)
class Run:
    """One measured child: wall and CPU seconds, peak MB of listdigest's processes
    (summed over the tree) and of its git processes (summed)."""

    seconds: float
    cpu: float
    own_mb: float
    git_mb: float


class TreeRss(threading.Thread):
    """Sample the resident memory of a process tree from /proc every 20 ms: the peak of
    the sum over Python processes, and apart the peak of the sum over git's."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.own = self.git = 0
        self.done = threading.Event()

    def _tree(self, pid: int) -> list[int]:
        pids = [pid]
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    for child in fh.read().split():
                        pids += self._tree(int(child))
        except OSError:
            pass
        return pids

    def run(self) -> None:
        """Sample until told to stop."""
        while not self.done.is_set():
            own = git = 0
            for pid in self._tree(self.pid):
                try:
                    with open(f"/proc/{pid}/status", "rb") as fh:
                        status = fh.read()
                except OSError:
                    continue
                m = re.search(rb"^VmRSS:\s+(\d+) kB", status, re.M)
                name = re.search(rb"^Name:\s+(\S+)", status, re.M)
                if m and name:
                    if name.group(1).startswith(b"git"):
                        git += int(m.group(1))
                    else:
                        own += int(m.group(1))
            self.own, self.git = max(self.own, own), max(self.git, git)
            self.done.wait(0.02)


def measure(cmd: Sequence[str], env: dict[str, str]) -> Run:
    """Run ``cmd`` once; fail loudly with its stderr if it fails."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        sampler = TreeRss(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"{' '.join(cmd)} failed:\n{err.read().decode(errors='replace')[-2000:]}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, sampler.own / 1024,
               sampler.git / 1024)


def git(repo: Path, *args: str) -> str:
    """Run git on ``repo`` and return its stdout."""
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True,
                          capture_output=True, text=True).stdout


def inbox(data: Path, size: int) -> Path:
    """The generated inbox of ``size`` messages, built if it is not there yet."""
    dest = data / f"synth-{size}"
    last = dest / "git" / f"{EPOCHS - 1}.git"
    done = last.exists() and subprocess.run(
        ["git", "--git-dir", str(last), "rev-parse", "-q", "--verify", "refs/heads/more"],
        capture_output=True).returncode == 0
    if not done:
        if dest.exists():
            subprocess.run(["rm", "-rf", str(dest)], check=True)
        print(f"generating {size} messages in {dest} …", file=sys.stderr)
        start = time.perf_counter()
        generate(dest, size, epochs=EPOCHS, more=MORE)
        print(f"  {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return dest


def median(runs: list[Run]) -> Run:
    """The run of the median wall time (its other figures with it)."""
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def bench(exe: str, archive: Path, size: int, repeat: int, tmp: Path,
          env: dict[str, str]) -> dict[str, tuple[Run, str]]:
    """All rows for one inbox."""
    last = archive / "git" / f"{EPOCHS - 1}.git"
    master = git(last, "rev-parse", "master").strip()
    more = git(last, "rev-parse", "more").strip()
    rows: dict[str, tuple[Run, str]] = {}
    builds, weeks, stats, incs = [], [], [], []
    db = tmp / "index.sqlite"
    tip = datetime.fromtimestamp(int(git(last, "log", "-1", "--format=%ct", "master")), UTC)
    since = (tip - timedelta(days=6)).date().isoformat()
    until = tip.date().isoformat()
    for _ in range(repeat):
        for f in tmp.glob("index.sqlite*"):
            f.unlink()
        builds.append(measure([exe, "index", str(archive), "--db", str(db)], env))
        weeks.append(measure([exe, "digest", str(archive), "--db", str(db), "--since", since,
                              "--until", until, "-o", str(tmp / "week.txt")], env))
        stats.append(measure([exe, "stats", str(archive), "--db", str(db), "--by", "month",
                              "-o", str(tmp / "stats.txt")], env))
        git(last, "update-ref", "refs/heads/master", more)
        try:
            incs.append(measure([exe, "index", str(archive), "--db", str(db)], env))
        finally:
            git(last, "update-ref", "refs/heads/master", master)
    build = median(builds)
    per_msg = db.stat().st_size / (size + MORE)
    rows["index, full build"] = (build, f"{size / build.seconds:,.0f} msg/s; "
                                        f"{build.cpu / size * 1e6:,.0f} µs CPU/msg; "
                                        f"index {per_msg:,.0f} bytes/msg")
    rows["digest, one week, from the index"] = (median(weeks), f"{since} .. {until}")
    rows["stats --by month, whole index"] = (median(stats), "")
    rows[f"index, incremental update of {MORE:,}"] = (median(incs), "")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Generate what is missing, measure, print one Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--data", type=Path,
                    default=Path(os.environ.get("BENCH_DATA", "/work/bench-data")))
    args = ap.parse_args(argv)
    exe = str(Path(sys.executable).parent / "listdigest")
    # An installed listdigest has its bytecode (pip compiles it); an editable checkout
    # run with PYTHONDONTWRITEBYTECODE=1 would compile its sixty modules on every run,
    # 50 ms of CPU that no user pays, and a fifth of the week digest.
    import listdigest
    compileall.compile_dir(Path(listdigest.__file__).parent, quiet=1)
    sizes = sorted({min(BASE, args.size), args.size})
    args.data.mkdir(parents=True, exist_ok=True)
    print("| messages | what | seconds | CPU s | listdigest MB | git MB | notes |")
    print("|---:|---|---:|---:|---:|---:|---|")
    rates: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="listdigest-scale-") as tmpdir:
        env = {**os.environ}
        for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            env[var] = str(Path(tmpdir) / var.lower())
        for size in sizes:
            rows = bench(exe, inbox(args.data, size), size, args.repeat, Path(tmpdir), env)
            for what, (run, note) in rows.items():
                print(f"| {size:,} | {what} | {run.seconds:.2f} | {run.cpu:.2f} | "
                      f"{run.own_mb:.0f} | {run.git_mb:.0f} | {note} |", flush=True)
            build = rows["index, full build"][0]
            rates[size] = (size / build.seconds, size / build.cpu)
    if len(rates) > 1:
        # Wall time follows the machine's load; CPU time per message barely does.
        for i, kind in enumerate(("wall", "CPU")):
            lo, hi = rates[sizes[0]][i], rates[sizes[-1]][i]
            print(f"\nindex build rate ({kind} time) at {sizes[-1]:,} is {hi / lo:.2f}x the "
                  f"rate at {sizes[0]:,} (linear within 10%: {abs(hi / lo - 1) <= 0.10})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
