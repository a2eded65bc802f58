"""Generate a synthetic LKML-like public-inbox v2 inbox, fast and deterministically.

Real lists of LKML's size cannot be copied into a test machine, so the scale bench
builds one: ``--messages N`` spread over ``--epochs E`` repositories, about 1,000
messages a day from 2019 on (LKML's rate). Each message is built from templates
with a seeded random generator, so a seed and a size always give the same bytes
(and the same commits):

- patch series of 1 to 30 patches (now and then a 300-600 patch stable review
  series), most with a cover letter, threaded under it; versions v1 to v5;
  bodies with a commit message, ``Signed-off-by``, a diffstat and a diff whose
  size follows a long tail (median a few kB, a few multi-MB patches);
- replies to recent patches (a third of them in reply to replies), quoting the
  text they answer, a fifth giving ``Reviewed-by``/``Acked-by``/``Tested-by``;
- headers as vger writes them (Received, DKIM, List-Id, …), some encoded words.

Commits are streamed into one ``git fast-import`` per epoch, as public-inbox
writes them (file ``m``, the subject as commit message). The last epoch also gets
a branch ``more`` with ``--more`` further messages on top of ``master``: the scale
bench moves ``master`` there to time an incremental index update.

Usage: ``python bench/synth.py DEST --messages 200000 [--epochs 8] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path

START = 1_546_300_800  # 2019-01-01T00:00:00Z
PER_DAY = 1000
_DOMAINS = ("intel.com", "redhat.com", "kernel.org", "google.com", "linaro.org",
            "suse.de", "arm.com", "amd.com", "nvidia.com", "huawei.com", "gmail.com",
            "oracle.com", "ibm.com", "linux.dev", "bytedance.com", "meta.com")
_FIRST = ("Alex", "Maria", "Wei", "Jan", "Priya", "Kenji", "Olga", "Ahmed", "Chen",
          "Sara", "Luis", "Anna", "Tomasz", "Mei", "David", "Fatima", "Jörg", "Zoë")
_LAST = ("Smith", "Kowalski", "Zhang", "Müller", "Nakamura", "Ivanova", "Garcia",
         "Li", "Novak", "Okafor", "Rossi", "Dubois", "Larsen", "Kim", "Singh", "Wang")
_SUBSYS = ("mm", "sched", "net", "x86/kvm", "arm64", "drm/i915", "fs/ext4", "btrfs",
           "usb", "iommu", "perf", "bpf", "rcu", "block", "crypto", "media", "sound")
_WORDS = ("fix", "add", "remove", "support", "handle", "refactor", "avoid", "use",
          "convert", "drop", "introduce", "clean up", "rework", "simplify", "export")
_NOUNS = ("race in teardown", "NULL dereference", "memory leak", "lock ordering",
          "error path", "helper", "tracepoint", "sysfs knob", "reference count",
          "page table walk", "timeout handling", "DMA mapping", "feature bit")
_TREES = ("", "", "", "net-next", "RFC", "RESEND", "bpf-next", "stable")


def _text_corpus(rng: random.Random) -> list[str]:
    words = [w for s in (_WORDS, _NOUNS, _SUBSYS) for w in s] + [
        "the", "a", "when", "this", "is", "not", "we", "that", "with", "because",
        "struct", "page", "folio", "cpu", "device", "driver", "queue", "buffer"]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(6, 14)))
            for _ in range(4000)]


def _code_corpus(rng: random.Random) -> list[str]:
    kinds = ("\tif (!%s)\n", "\treturn %s;\n", "\t%s = kzalloc(sizeof(*%s), GFP_KERNEL);\n",
             "\tspin_lock(&%s->lock);\n", "static int %s(struct device *dev)\n",
             "\tpr_debug(\"%s\\n\");\n", "}\n", "\n")
    names = ("dev", "priv", "ctx", "page", "vcpu", "skb", "folio", "queue", "node")
    out = []
    for _ in range(6000):
        k = rng.choice(kinds)
        n = rng.choice(names)
        out.append(rng.choice(" +-  ") + k % ((n,) * k.count("%s")))
    return out


class Generator:
    """Messages in archive order, as raw bytes with their date and subject."""

    def __init__(self, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self.people = [(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                        f"user{i}@{rng.choice(_DOMAINS)}") for i in range(20000)]
        self.text = _text_corpus(rng)
        self.code = _code_corpus(rng)
        self.ins = [0]  # running counts of added and removed lines in the code corpus
        self.dels = [0]
        for line in self.code:
            self.ins.append(self.ins[-1] + line.startswith("+"))
            self.dels.append(self.dels[-1] + line.startswith("-"))
        self.recent: deque[tuple[str, str, str]] = deque(maxlen=20000)
        """(Message-ID, subject, references) of recent messages, to reply to."""
        self.time = float(START)
        self.count = 0

    def _person(self) -> tuple[str, str]:
        # A long tail: a few people send most patches, as on real lists.
        return self.people[int(len(self.people) * self.rng.random() ** 3)]

    def _tick(self) -> int:
        self.time += self.rng.expovariate(PER_DAY / 86400)
        return int(self.time)

    def _msgid(self, ts: int, author: str) -> str:
        self.count += 1
        return f"{ts}.{self.count}-{self.rng.getrandbits(32):08x}@{author.split('@')[1]}"

    def _headers(self, name: str, addr: str, subject: str, ts: int, msgid: str,
                 irt: str, refs: str) -> str:
        rng = self.rng
        host = addr.split("@")[1]
        hops = "".join(
            f"Received: from mail{b & 63}.{host} (mail{b >> 6 & 63}.{host} [10.{b >> 12 & 255}."
            f"{b >> 20 & 255}.{b >> 28 & 255}])\n\tby smtp.subspace.kernel.org (Postfix) with"
            f" ESMTPS id {b >> 36:07X}\n\tfor <linux-kernel@vger.kernel.org>; Mon, 1 Jan 2024"
            " 00:00:00 +0000 (UTC)\n"
            for b in [rng.getrandbits(64) for _ in range(1 + rng.getrandbits(2))])
        date = _rfc2822(ts, rng.choice((0, 0, 3600, 7200, -18000, 28800, 19800)))
        shown = name if name.isascii() else "=?UTF-8?q?" + "".join(
            f"={b:02X}" if b > 127 or b == 32 else chr(b) for b in name.encode()) + "?="
        lines = [f"Return-Path: <{addr}>\n", hops,
                 f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={host};"
                 f"\n\ts=20230601; t={ts}; x={ts + 604800};\n\tbh={rng.getrandbits(256):064x}=;\n"
                 f"\tb={rng.getrandbits(512):0128x}\n\t {rng.getrandbits(512):0128x}==\n",
                 f"From: {shown} <{addr}>\n", "To: linux-kernel@vger.kernel.org\n",
                 f"Subject: {subject}\n", f"Date: {date}\n", f"Message-ID: <{msgid}>\n"]
        if irt:
            lines.append(f"In-Reply-To: <{irt}>\n")
        if refs:
            lines.append(f"References: {refs}\n")
        lines += ["MIME-Version: 1.0\n", "Content-Type: text/plain; charset=UTF-8\n",
                  "Content-Transfer-Encoding: 8bit\n",
                  "List-Id: <linux-kernel.vger.kernel.org>\n",
                  "Precedence: bulk\n", "X-Mailing-List: linux-kernel@vger.kernel.org\n"]
        return "".join(lines)

    def _paragraphs(self, n: int) -> str:
        rng = self.rng
        return "\n\n".join("\n".join(rng.sample(self.text, rng.randint(2, 5)))
                           for _ in range(n))

    def _diff(self) -> tuple[str, int, int, int]:
        rng = self.rng
        size = min(int(rng.lognormvariate(8.0, 1.3)), 6_000_000)  # bytes; median ~3 kB
        files = max(1, min(size // 4000, 40))
        parts = []
        ins = dels = 0
        per = min(max(size // files // 40, 2), len(self.code) - 1)
        for f in range(files):
            path = f"{rng.choice(_SUBSYS)}/file{rng.randint(1, 500)}_{f}.c"
            parts.append(f"diff --git a/{path} b/{path}\nindex 1234567..89abcde 100644\n"
                         f"--- a/{path}\n+++ b/{path}\n@@ -10,{per} +10,{per} @@\n")
            start = rng.randrange(len(self.code) - per)
            parts.extend(self.code[start:start + per])
            ins += self.ins[start + per] - self.ins[start]
            dels += self.dels[start + per] - self.dels[start]
        return "".join(parts), files, ins, dels

    def series(self) -> Iterator[tuple[int, str, bytes]]:
        """One posting: an optional cover letter and its patches."""
        rng = self.rng
        name, addr = self._person()
        n = 1 if rng.random() < 0.35 else rng.randint(2, 30)
        if rng.random() < 0.001:
            n = rng.randint(300, 600)  # a stable review series
        version = rng.choice((1, 1, 1, 2, 2, 3, 4, 5))
        tree = rng.choice(_TREES)
        tags = " ".join(t for t in (tree, "PATCH", f"v{version}" if version > 1 else "") if t)
        title = f"{rng.choice(_SUBSYS)}: {rng.choice(_WORDS)} {rng.choice(_NOUNS)}"
        root = ""
        numbers = list(range(0 if n > 1 and rng.random() < 0.8 else 1, n + 1))
        for k in numbers:
            ts = self._tick()
            mid = self._msgid(ts, addr)
            counter = f" {k:0{len(str(n))}d}/{n}" if n > 1 else ""
            subject = f"[{tags}{counter}] {title if k == 0 else self._patch_title()}"
            refs = f"<{root}>" if root else ""
            if k == 0:
                body = (self._paragraphs(rng.randint(1, 4)) + "\n\n" + "".join(
                    f"  {rng.choice(_SUBSYS)}: {rng.choice(_NOUNS)}\n" for _ in range(n))
                        + f"\n {n * 3} files changed, {n * 40} insertions(+), {n * 9}"
                          " deletions(-)\n\n-- \n2.43.0\n")
            else:
                diff, files, ins, dels = self._diff()
                body = (self._paragraphs(rng.randint(1, 3)) + f"\n\nSigned-off-by: {name}"
                        f" <{addr}>\n---\n {files} files changed, {ins} insertions(+), "
                        f"{dels} deletions(-)\n\n{diff}-- \n2.43.0\n")
            head = self._headers(name, addr, subject, ts, mid, root, refs)
            if not root:
                root = mid
            self.recent.append((mid, subject, refs))
            yield ts, subject, (head + "\n" + body).encode()

    def _patch_title(self) -> str:
        return f"{self.rng.choice(_SUBSYS)}: {self.rng.choice(_WORDS)} {self.rng.choice(_NOUNS)}"

    def reply(self) -> tuple[int, str, bytes]:
        """A reply to a recent message, quoting it, sometimes with a review trailer."""
        rng = self.rng
        name, addr = self._person()
        pick = len(self.recent) - 1 - min(int(rng.expovariate(1 / 300)), len(self.recent) - 1)
        irt, subject, refs = self.recent[pick]
        subject = subject if subject.startswith("Re: ") else "Re: " + subject
        refs = f"{refs} <{irt}>".strip()
        if refs.count("<") > 12:  # mailers trim long chains, keeping the root
            ids = refs.split()
            refs = " ".join(ids[:1] + ids[-10:])
        ts = self._tick()
        mid = self._msgid(ts, addr)
        quoted = "".join("> " + line + "\n" for line in rng.sample(self.text, rng.randint(2, 30)))
        body = f"On Mon, Jan 1, 2024 someone wrote:\n{quoted}\n{self._paragraphs(1)}\n"
        if rng.random() < 0.2:
            tag = rng.choice(("Reviewed-by", "Reviewed-by", "Acked-by", "Tested-by"))
            body += f"\n{tag}: {name} <{addr}>\n"
        body += f"\n-- \n{name}\n"
        head = self._headers(name, addr, subject, ts, mid, irt, refs)
        if rng.random() < 0.33:
            self.recent.append((mid, subject, refs))
        return ts, subject, (head + "\n" + body).encode()

    def messages(self, total: int) -> Iterator[tuple[int, str, bytes]]:
        """``total`` messages, a little over half of them replies (as on LKML)."""
        made = 0
        while made < total:
            if self.recent and self.rng.random() < 0.93:  # series average ~11 messages
                items: Iterator[tuple[int, str, bytes]] = iter((self.reply(),))
            else:
                items = self.series()
            for item in items:
                if made == total:
                    return
                made += 1
                yield item


def _rfc2822(ts: int, offset: int) -> str:
    import time
    t = time.gmtime(ts + offset)
    sign = "+" if offset >= 0 else "-"
    hh, mm = divmod(abs(offset) // 60, 60)
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")
    return (f"{days[t.tm_wday]}, {t.tm_mday} {months[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {sign}{hh:02d}{mm:02d}")


def _commit(out: list[bytes], ref: str, ts: int, subject: str, raw: bytes) -> None:
    msg = subject.encode()
    out += [f"commit {ref}\nauthor A U Thor <a@example.org> {ts} +0000\n"
            f"committer public-inbox <pi@example.org> {ts} +0000\n"
            f"data {len(msg)}\n".encode(), msg, b"\nM 100644 inline m\n",
            f"data {len(raw)}\n".encode(), raw, b"\n"]


def generate(dest: Path, total: int, *, epochs: int = 8, seed: int = 1,
             more: int = 1000) -> None:
    """Write the inbox at ``dest``: ``total`` messages on ``master`` over ``epochs``
    epochs, and ``more`` on branch ``more`` of the last epoch."""
    gen = Generator(seed)
    stream = gen.messages(total + more)
    per = -(-total // epochs)
    for number in range(epochs):
        repo = dest / "git" / f"{number}.git"
        subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
        proc = subprocess.Popen(["git", "--git-dir", str(repo), "fast-import", "--quiet",
                                 "--done"], stdin=subprocess.PIPE)
        assert proc.stdin is not None
        count = min(per, total - number * per)
        extra = more if number == epochs - 1 else 0
        buf: list[bytes] = []
        for i in range(count + extra):
            ts, subject, raw = next(stream)
            if i == count:
                buf.append(b"reset refs/heads/more\nfrom refs/heads/master\n\n")
            _commit(buf, "refs/heads/master" if i < count else "refs/heads/more",
                    ts, subject, raw)
            if len(buf) > 600:
                proc.stdin.write(b"".join(buf))
                buf.clear()
        buf.append(b"done\n")
        proc.stdin.write(b"".join(buf))
        proc.stdin.close()
        if proc.wait() != 0:
            sys.exit(f"git fast-import failed for {repo}")
        subprocess.run(["git", "--git-dir", str(repo), "symbolic-ref", "HEAD",
                        "refs/heads/master"], check=True)


def main() -> None:
    """Command line: see the module's docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--more", type=int, default=1000)
    args = ap.parse_args()
    if args.dest.exists() and any(args.dest.iterdir()):
        sys.exit(f"{args.dest} exists and is not empty")
    generate(args.dest, args.messages, epochs=args.epochs, seed=args.seed, more=args.more)


if __name__ == "__main__":
    main()
