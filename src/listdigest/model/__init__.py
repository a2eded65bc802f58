"""Stage 3: relations between messages (series of patches)."""

from listdigest.model.series import Series, attach_replies, group_series, review_counts

__all__ = ["Series", "attach_replies", "group_series", "review_counts"]
