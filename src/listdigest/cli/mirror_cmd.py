"""``listdigest mirror``: clone or update a lore-style archive (placeholder until written)."""

COMMANDS: list = []
