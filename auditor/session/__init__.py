"""Session records, continuity timeline and policies."""
