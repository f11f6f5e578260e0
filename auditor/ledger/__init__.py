"""Signed append-only ledger: RFC 6962/9162 Merkle log in SQLite with Ed25519 checkpoints."""
