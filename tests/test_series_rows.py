"""A series per row, kept at index time (index.grouping), and stats counting them in SQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.demo.build import append_messages, build_archive
from listdigest.digest import select
from listdigest.index.db import open_index
from listdigest.index.grouping import GROUPED, patch_messages, place
from listdigest.index.update import update_index
from listdigest.indexed_stats import indexed_statistics
from listdigest.model.series import group_series
from listdigest.sources.archive import Archive
from listdigest.stats.history import build_statistics


def mail(mid: str, subject: str, minute: int, *, reply_to: str | None = None,
         sender: str = "Dev One <dev1@example.org>") -> bytes:
    thread = f"In-Reply-To: <{reply_to}>\nReferences: <{reply_to}>\n" if reply_to else ""
    return (f"From: {sender}\nSubject: {subject}\n"
            f"Date: Mon, 7 Apr 2025 10:{minute:02d}:00 +0000\nMessage-ID: <{mid}>\n{thread}"
            f"\nBody of {mid}.\n\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
            ).encode()


def stored(db: Path) -> list[tuple[int, int, str]]:
    """(place, series, subject) of every grouped row, in order."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT epoch << 32 | pos, series, subject FROM messages WHERE "
                            "series IS NOT NULL ORDER BY epoch, pos").fetchall()
    finally:
        conn.close()


def series_total(archive: Path, db: Path, *args: str) -> tuple[int, list[tuple[str, int]]]:
    result = CliRunner().invoke(cli, ["stats", str(archive), "--db", str(db), "--by", "month",
                                      "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return data["total"]["series"], [(p["period"], p["series"]) for p in data["periods"]]


def test_each_row_keeps_the_series_the_whole_archive_gives(kvmarm_db: Path) -> None:
    conn = sqlite3.connect(kvmarm_db)
    try:
        rows = conn.execute(f"SELECT {', '.join(GROUPED)} FROM messages WHERE series IS NOT "
                            "NULL ORDER BY epoch, pos").fetchall()
        # The one duplicate Message-ID among kvmarm's patch emails keeps no series.
        assert conn.execute("SELECT count(*) FROM messages WHERE kind IN ('patch', 'cover') "
                            "AND series IS NULL").fetchone() == (1,)
        # [PATCH v2 0/3] KVM: arm64: Fix handling of S1PTW S2 fault on RO memslots, and its
        # three patches (git log: 3 Jan 2023, 10:09:01 to 10:09:04 UTC): the cover's place.
        lead = conn.execute("SELECT series, epoch << 32 | pos FROM messages WHERE subject "
                            "LIKE '[PATCH v2 0/3] KVM: arm64: Fix handling of S1PTW%'"
                            ).fetchall()
        members = conn.execute("SELECT subject FROM messages WHERE series = ? ORDER BY pos",
                               (lead[0][0],)).fetchall()
    finally:
        conn.close()
    placed = [place(r[0], r[1]) for r in rows]
    messages = patch_messages(rows)
    want = {}
    for s in group_series(messages):
        for m in s.messages:
            want[id(m)] = placed[s.first]
    assert [want[id(m)] for m in messages] == [r[15] for r in rows]
    assert len({r[15] for r in rows}) == 1591  # README: kvmarm's series
    assert len(lead) == 1 and lead[0][0] == lead[0][1]
    assert [m[0].split("]")[0] for m in members] == [
        "[PATCH v2 0/3", "[PATCH v2 1/3", "[PATCH v2 2/3", "[PATCH v2 3/3"]


def test_series_per_month_checked_by_hand(kvmarm: Path, kvmarm_db: Path, leds: Path,
                                          leds_db: Path) -> None:
    # git log of January 2023 on kvmarm, patch emails that are not replies: the M2 vgic
    # cover sent twice (the second with 1/3-3/3 under it: two series), the S1PTW v2 set,
    # the MAINTAINERS patch and one patch of an rcu set (02/27): 5 series.
    assert series_total(kvmarm, kvmarm_db, "--since", "2023-01-01") == (5, [("2023-01", 5)])
    # linux-leds, March 2022: Qualcomm LPG v14 (1/2, 2/2), simatic-ipc 0/2-2/2, the typo
    # set (00/30 and 08/30), WS2812B, blkdev trigger v9 0/2-2/2, two pca955x patches: 7.
    total, months = series_total(leds, leds_db, "--since", "2022-03-01", "--until",
                                 "2022-03-31")
    assert (total, months) == (7, [("2022-03", 7)])
    whole = dict(series_total(leds, leds_db)[1])
    assert whole["2022-03"] == 7


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A cover letter and patch 1/2 of a series, and a discussion to thread under."""
    return build_archive(tmp_path / "inbox", [
        mail("cover@x", "[PATCH 0/2] widget: two fixes", 0),
        mail("p1@x", "[PATCH 1/2] widget: fix one", 1, reply_to="cover@x"),
    ])


def test_an_update_joins_a_new_patch_to_its_series_or_starts_one(inbox: Path,
                                                                 tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    assert series_total(inbox, db) == (1, [("2025-04", 1)])
    append_messages(inbox, [mail("p2@x", "[PATCH 2/2] widget: fix two", 2,
                                 reply_to="cover@x")])
    assert series_total(inbox, db) == (1, [("2025-04", 1)])  # 2/2 joined 0/2 and 1/2
    append_messages(inbox, [mail("other@x", "[PATCH] gadget: one fix", 3,
                                 sender="Dev Two <dev2@example.org>")])
    assert series_total(inbox, db) == (2, [("2025-04", 2)])
    assert [(s, subject[:12]) for _, s, subject in stored(db)] == [
        (0, "[PATCH 0/2] "), (0, "[PATCH 1/2] "), (0, "[PATCH 2/2] "), (3, "[PATCH] gadg")]
    fresh = tmp_path / "fresh.sqlite"
    with open_index(Archive.open(inbox), fresh) as idx:
        update_index(idx)
    assert stored(fresh) == stored(db)


def test_a_range_starting_inside_a_series_groups_its_own_messages(tmp_path: Path) -> None:
    # 2/3 before the range; in it, v3 1/3 and an unversioned 2/3 of the same thread and
    # sender. The whole archive has three series (2/3 is taken when the second 2/3
    # comes); the range alone has one: its 2/3 joins v3 1/3, as b4 joins an unversioned
    # patch to the thread's other version. Counting the rows' series would say 2.
    archive = build_archive(tmp_path / "inbox", [
        mail("root@x", "widget design", 0).split(b"\ndiff")[0] + b"\n",
        mail("a@x", "[PATCH 2/3] widget: two", 1, reply_to="root@x"),
        mail("b@x", "[PATCH v3 1/3] widget: one", 2, reply_to="root@x"),
        mail("c@x", "[PATCH 2/3] widget: two again", 3, reply_to="root@x"),
    ])
    db = tmp_path / "index.sqlite"
    assert series_total(archive, db)[0] == 3
    arch = Archive.open(archive)
    start = list(arch.commits())[1].commit  # the range is what follows 2/3
    with open_index(arch, db) as idx:
        counted = indexed_statistics(arch, idx, rev_from=start, rev_to=None, since=None,
                                     until=None, name=None, by="month", top=15)
        sel = select(arch, idx, rev_from=start, rev_to=None, since=None, until=None)
    assert counted is not None
    assert counted[1].total.series == 1
    assert counted[1] == build_statistics(sel.messages, list_name=counted[1].list_name,
                                          start=sel.start, end=sel.end_label, by="month",
                                          top=15)
    assert series_total(archive, db, f"{start}..")[0] == 1


def test_an_index_of_another_version_is_rebuilt_with_one_line(inbox: Path,
                                                              tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    assert series_total(inbox, db)[0] == 1
    conn = sqlite3.connect(db)  # as an index made before rows kept their series
    conn.execute("UPDATE meta SET value = 'older code' WHERE key = 'fingerprint'")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(cli, ["index", str(inbox), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:2] == [
        f"listdigest: index {db} was made by another version of listdigest: rebuilding it "
        "from the archive", "listdigest: indexed 2 new commits; 2 in the index"]
    assert [s for _, s, _ in stored(db)] == [0, 0]
