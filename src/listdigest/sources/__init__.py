"""Stage 1: read public-inbox archives (epochs, commit ranges, raw message blobs)."""

from listdigest.sources.archive import Archive, CommitEntry, Epoch
from listdigest.sources.blobs import read_blobs

__all__ = ["Archive", "CommitEntry", "Epoch", "read_blobs"]
