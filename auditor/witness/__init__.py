"""A witness (C2SP tlog-witness): cosigns another institution's ledger checkpoints only when each
is consistent with the last one it cosigned for that log.

:mod:`.store` is its database, :mod:`.protocol` the ``add-checkpoint`` rules, :mod:`.server`
the HTTP server.
"""
