"""The demo: a small fictional mailing list packaged as raw emails, and the builder that
turns raw emails into a real public-inbox archive, so that ``listdigest demo`` and the
tests run on git archives without a network, a mirror or public-inbox installed."""

from __future__ import annotations

from importlib.resources import files

from listdigest.demo.build import build_archive

__all__ = ["build_archive", "demo_messages"]


def demo_messages() -> list[bytes]:
    """The packaged demo emails in archive order (their file names are numbered), as
    exact bytes: some are deliberately not UTF-8."""
    folder = files(__name__) / "emails"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".eml"))
    return [(folder / name).read_bytes() for name in names]
