"""Stage 3: relations between messages (series of patches)."""

from listdigest.model.series import Series, group_series

__all__ = ["Series", "group_series"]
