"""A persistent SQLite index of an archive: one row per commit, kept up to date.

``open_index`` opens and locks the index of an archive, ``update_index`` brings it
up to date with git, ``Index.scanned``/``Index.scanned_between`` read a range as
the git path would, ``Index.get_state``/``set_state`` keep named positions.
"""

from listdigest.index.db import (
    Index,
    IndexBusy,
    KeptIndex,
    default_path,
    existing_path,
    kept_indexes,
    open_index,
    open_snapshot,
    prune,
)
from listdigest.index.update import UpdateResult, update_index

__all__ = ["Index", "IndexBusy", "KeptIndex", "UpdateResult", "default_path",
           "existing_path", "kept_indexes", "open_index", "open_snapshot", "prune",
           "update_index"]
