"""Stage 7, beside cli: ``listdigest serve``, a read-only web app over the indexed lists
(Starlette, served by uvicorn). It may read every other stage; only cli imports it."""

from listdigest.serve.app import create_app
from listdigest.serve.store import ServedList

__all__ = ["ServedList", "create_app"]
