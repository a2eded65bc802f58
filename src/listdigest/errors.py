"""The errors listdigest reports to its user as one clear line (never a traceback)."""


class ListdigestError(Exception):
    """Base of every error the command line prints as ``listdigest: error: …``."""


class ArchiveError(ListdigestError):
    """The archive is missing, not a public-inbox archive, or a revision is unknown."""


class IndexError_(ListdigestError):
    """The index cannot be opened or is in use by another run."""


class WorkerError(ListdigestError):
    """A worker process reading part of a range died."""
