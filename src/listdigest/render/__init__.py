"""Stage 6: render a digest (text in the KVM update layout, JSON)."""
