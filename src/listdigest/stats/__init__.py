"""Stage 5: statistics over messages (contributor, domain and reviewer tables, activity
over time)."""

from listdigest.stats.contributors import Row, contributor_table, domain_table, format_address
from listdigest.stats.history import (
    Period,
    Statistics,
    build_statistics,
    by_period,
    reviewer_table,
)

__all__ = ["Period", "Row", "Statistics", "build_statistics", "by_period",
           "contributor_table", "domain_table", "format_address", "reviewer_table"]
