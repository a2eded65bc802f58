"""Stage 5: statistics over messages (contributor and domain tables)."""

from listdigest.stats.contributors import Row, contributor_table, domain_table, format_address

__all__ = ["Row", "contributor_table", "domain_table", "format_address"]
