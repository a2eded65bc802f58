"""The web app's bench: response times of ``listdigest serve`` pages, then a load test.

It indexes ARCHIVE into a temporary folder (untimed; or uses ``--db``), starts
``listdigest serve`` on a free port of 127.0.0.1 as a child process, and measures
with an HTTP client (httpx), from outside the server as a browser would:

1. **one client**: each page kind (the list's home, the digest of its newest week, a
   series page, a word search and a path search) is fetched once (``first``: the
   server makes the page), then ``--repeat`` times (the server's page cache answers
   while the index is unchanged); the median and the slowest are reported. The
   target is a median under 200 ms on a 95k-message list.
2. **load**: ``--clients`` threads (default 20), each with its own connection, fetch
   the same pages round-robin for ``--seconds`` (default 30); every answer must be
   200 with the expected content type. Errors are counted and named.

Usage: ``python bench/serve.py [ARCHIVE] [--db PATH] [-n 20] [--clients 20] [--seconds 30]``
(ARCHIVE defaults to ``../shared/archives/kvmarm`` beside the checkout). Exit status 1
when any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx

HERE = Path(__file__).resolve().parent
DEFAULT_ARCHIVE = HERE.parent.parent / "shared" / "archives" / "kvmarm"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(listdigest: Path, archive: Path, db: Path, port: int,
                 env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``listdigest serve`` in a child process, once it answers."""
    proc = subprocess.Popen([str(listdigest), "serve", str(archive), "--db", str(db),
                             "--port", str(port), "-q"], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None:
                raise SystemExit(f"listdigest serve exited: {proc.returncode}") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("listdigest serve did not answer within 60 s")


def pages(client: httpx.Client, key: str, db: Path) -> dict[str, str]:
    """The page of each kind to time, found from the home page's JSON twin: the newest
    week's digest, the newest series with more than one patch, a search for the first
    long word of its title, and one for the folder of the newest patch's first file."""
    home = client.get(f"/{key}/?format=json").raise_for_status().json()
    week = home["weeks"][0]["digest"]
    lines = home["newest_series"]
    line = next((s for s in lines if s["patches"] > 1), lines[0])
    series = line["url"]
    data = client.get(series + "?format=json").raise_for_status().json()
    word = next(w for w in data["title"].split() if w.isalpha() and len(w) > 3)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT paths FROM messages WHERE paths LIKE '[\"%/%'"
                           " ORDER BY rowid DESC LIMIT 1").fetchone()
    folder = json.loads(row[0])[0].rsplit("/", 1)[0] if row else "kernel"
    return {
        "home": f"/{key}/",
        "digest of a week": week,
        "series": series,
        "search (word)": f"/{key}/search?q={quote(word)}",
        "search (path:)": f"/{key}/search?q={quote('path:' + folder)}",
    }


def time_pages(base: str, urls: dict[str, str], repeat: int) -> dict[str, dict[str, float]]:
    """Median and slowest milliseconds of each page, one client, sequentially."""
    out: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for name, url in urls.items():
            start = time.perf_counter()  # the first request makes the page
            client.get(url).raise_for_status()
            first = (time.perf_counter() - start) * 1000
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                r = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                r.raise_for_status()
            out[name] = {"first_ms": first, "median_ms": statistics.median(times),
                         "max_ms": max(times),
                         "bytes": len(r.content)}
    return out


def load(base: str, urls: list[str], clients: int, seconds: float) -> dict[str, object]:
    """``clients`` threads fetching ``urls`` round-robin for ``seconds``."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    done: list[float] = []
    errors: list[str] = []

    def worker(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            i = offset
            while time.monotonic() < stop:
                url = urls[i % len(urls)]
                i += 1
                start = time.perf_counter()
                try:
                    r = client.get(url)
                    ok = r.status_code == 200 and r.headers["content-type"].startswith(
                        "text/html")
                    problem = None if ok else f"{r.status_code} {url}"
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__} {url}"
                with lock:
                    done.append((time.perf_counter() - start) * 1000)
                    if problem:
                        errors.append(problem)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"clients": clients, "seconds": seconds, "requests": len(done),
            "errors": len(errors), "first_errors": errors[:5],
            "per_second": len(done) / seconds,
            "median_ms": statistics.median(done) if done else None,
            "p99_ms": sorted(done)[int(len(done) * 0.99)] if done else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", nargs="?", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--db", type=Path, help="an index of ARCHIVE (default: build one)")
    parser.add_argument("-n", "--repeat", type=int, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--listdigest", type=Path,
                        default=Path(sys.executable).parent / "listdigest")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="listdigest-serve-bench-") as tmp:
        env = {**os.environ, "XDG_DATA_HOME": tmp, "XDG_CONFIG_HOME": tmp}
        db = args.db
        if db is None:
            db = Path(tmp) / "index.sqlite"
            print(f"indexing {args.archive} …", file=sys.stderr)
            subprocess.run([str(args.listdigest), "index", str(args.archive), "--db",
                            str(db), "-q"], env=env, check=True)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        port = free_port()
        proc = start_server(args.listdigest, args.archive, db, port, env)
        base = f"http://127.0.0.1:{port}"
        try:
            key = args.archive.resolve().name.removesuffix(".git")
            with httpx.Client(base_url=base, timeout=60) as client:
                urls = pages(client, key, db)
            timed = time_pages(base, urls, args.repeat)
            loaded = load(base, list(urls.values()), args.clients, args.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"{args.archive} ({messages} messages), median of {args.repeat} requests each:")
    print("| page | URL | first ms | median ms | slowest ms |\n|---|---|---:|---:|---:|")
    for name, url in urls.items():
        t = timed[name]
        print(f"| {name} | `{url}` | {t['first_ms']:.0f} | {t['median_ms']:.0f} |"
              f" {t['max_ms']:.0f} |")
    print(f"\nload: {loaded['clients']} clients for {loaded['seconds']:.0f} s: "
          f"{loaded['requests']} requests ({loaded['per_second']:.1f}/s), "
          f"median {loaded['median_ms']:.0f} ms, p99 {loaded['p99_ms']:.0f} ms, "
          f"{loaded['errors']} errors {loaded['first_errors'] or ''}")
    if args.json:
        args.json.write_text(json.dumps({"archive": str(args.archive), "messages": messages,
                                         "pages": urls, "timed": timed, "load": loaded},
                                        indent=2))
    return 1 if loaded["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
