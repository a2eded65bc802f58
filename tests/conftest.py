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
CORPUS = SHARED / "corpus" / "patchwork"


@pytest.fixture(scope="session")
def kvmarm() -> Path:
    """The public-inbox v2 archive of the kvmarm list (21,367 messages, 2019-2023)."""
    assert (KVMARM / "git" / "0.git").is_dir(), f"shared archive missing: {KVMARM}"
    return KVMARM


@pytest.fixture(scope="session")
def corpus() -> Path:
    """Patchwork's test mail: odd, broken and threaded emails."""
    assert CORPUS.is_dir(), f"shared corpus missing: {CORPUS}"
    return CORPUS
