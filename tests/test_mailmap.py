"""A ``.mailmap`` (git's format, read by git check-mailmap) merges a person's
addresses in every table: contributors, domains, reviewers.

On kvmarm, without a mailmap, Marc Zyngier counts 1,616 patch emails and 56 review
trailers as maz@kernel.org and 54 and 2 as marc.zyngier@arm.com (his address until
mid-2019); kernel.org has 2,409 patch emails, arm.com 1,732.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from listdigest.cli import cli
from listdigest.demo import build_archive, demo_messages


def rows(data: dict, table: str) -> dict[str, int]:  # type: ignore[type-arg]
    key = "domain" if table == "domains" else "address"
    return {r[key]: r["count"] for r in data[table]}


def test_mailmap_merges_addresses_in_every_table(kvmarm: Path, kvmarm_db: Path,
                                                tmp_path: Path) -> None:
    mailmap = tmp_path / "kvmarm.mailmap"
    mailmap.write_text("Marc Zyngier <maz@kernel.org> <marc.zyngier@arm.com>\n")
    args = ["stats", str(kvmarm), "--db", str(kvmarm_db), "--format", "json"]
    plain = json.loads(CliRunner().invoke(cli, args).stdout)
    merged = json.loads(CliRunner().invoke(cli, [*args, "--mailmap", str(mailmap)]).stdout)
    assert (rows(plain, "contributors")["maz@kernel.org"],
            rows(plain, "contributors")["marc.zyngier@arm.com"]) == (1616, 54)
    assert rows(merged, "contributors")["maz@kernel.org"] == 1670
    assert "marc.zyngier@arm.com" not in rows(merged, "contributors")
    assert rows(merged, "reviewers")["maz@kernel.org"] == 58
    assert "marc.zyngier@arm.com" not in rows(merged, "reviewers")
    assert (rows(merged, "domains")["kernel.org"], rows(merged, "domains")["arm.com"]) == (
        2463, 1678)
    assert merged["total"]["contributors"] == plain["total"]["contributors"] - 1


def test_mailmap_in_digest_and_config(tmp_path: Path) -> None:
    inbox = build_archive(tmp_path / "demo", demo_messages())
    mailmap = tmp_path / "demo.mailmap"  # a name and address for the Latin-1 patch's author
    mailmap.write_text("Maria Ortega <maria.ortega@example.com> <joerg.mueller@example.com>\n")
    result = CliRunner().invoke(cli, ["digest", str(inbox), "--mailmap", str(mailmap)])
    assert result.exit_code == 0, result.output
    assert "      4  Maria Ortega <maria.ortega@example.com>" in result.stdout.splitlines()
    assert "joerg" not in result.stdout.split("===== Patch list")[0]
    config = tmp_path / "lists.toml"
    config.write_text(f'output = "{tmp_path}/out"\nmailmap = "{mailmap}"\n'
                      f'[lists.demo]\narchive = "{inbox}"\ndb = "{tmp_path}/d.sqlite"\n'
                      'since = "2025-03-01"\n')
    assert CliRunner().invoke(cli, ["update", "--config", str(config)]).exit_code == 0
    (text,) = (tmp_path / "out" / "demo").glob("*.txt")
    assert "      4  Maria Ortega <maria.ortega@example.com>" in text.read_text().splitlines()
    config.write_text(config.read_text().replace(str(mailmap), str(tmp_path / "none")))
    bad = CliRunner().invoke(cli, ["update", "--config", str(config)])
    assert bad.stderr.strip().endswith(f"the top level: mailmap {tmp_path}/none is not a file")
