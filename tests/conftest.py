"""Shared test data: the real archive and the odd-mail corpus beside the checkout.

They live in ``../shared`` (read in place, never copied into the project). A test
that needs them fails, rather than skips, when they are absent: CI has them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lore import lore  # noqa: F401  (the local lore server fixture)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KVMARM = SHARED / "archives" / "kvmarm"
LEDS = SHARED / "archives" / "linux-leds"
CORPUS = SHARED / "corpus" / "patchwork"


@pytest.fixture(scope="session")
def kvmarm() -> Path:
    """The public-inbox v2 archive of the kvmarm list (21,367 messages, 2019-2023)."""
    assert (KVMARM / "git" / "0.git").is_dir(), f"shared archive missing: {KVMARM}"
    return KVMARM


@pytest.fixture(scope="session")
def leds() -> Path:
    """The public-inbox v2 archive of linux-leds (23,200 messages, 2019-2026)."""
    assert (LEDS / "git" / "0.git").is_dir(), f"shared archive missing: {LEDS}"
    return LEDS


@pytest.fixture(scope="session")
def kvmarm_db(kvmarm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh index of the whole kvmarm archive, built once by the command (about 3 s);
    tests only read it (a digest brings it up to date: nothing to add)."""
    from click.testing import CliRunner

    from listdigest.cli import cli

    db = tmp_path_factory.mktemp("kv") / "kvmarm.sqlite"
    result = CliRunner().invoke(cli, ["index", str(kvmarm), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "indexed 21367 new commits; 21367 in the index" in result.output
    return db


@pytest.fixture(scope="session")
def leds_db(leds: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the whole linux-leds archive, built once for the session."""
    from click.testing import CliRunner

    from listdigest.cli import cli

    db = tmp_path_factory.mktemp("leds") / "leds.sqlite"
    result = CliRunner().invoke(cli, ["index", str(leds), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="session")
def corpus() -> Path:
    """Patchwork's test mail: odd, broken and threaded emails."""
    assert CORPUS.is_dir(), f"shared corpus missing: {CORPUS}"
    return CORPUS


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's headless chromium driven by Playwright (``make test`` installs it).
    Background networking is off: this machine has no network, and a page under test
    must make no request of its own anyway."""
    import shutil

    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    assert exe, "chromium missing: make test installs it (apt-get install chromium)"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ])
        yield b
        b.close()
