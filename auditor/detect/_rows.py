"""An order statistic of every row of a sliding-window view, in chunks of rows."""

from __future__ import annotations

import numpy as np


def kth_of_rows(view: np.ndarray, k: int, chunk_values: int) -> np.ndarray:
    """The ``k``-th smallest value of each row of ``view`` (rows, span): NaN sorts last (as
    +inf), and a row more than half NaN gives NaN (mostly digital silence: nothing measured).

    By partition (linear time), ``chunk_values // span`` rows at a time: the rows of a sliding
    view overlap in memory, but a partition needs its own copy of each, which for a whole
    8-hour recording would take hundreds of megabytes.
    """
    rows, span = view.shape
    out = np.empty(rows)
    step = max(1, chunk_values // max(span, 1))
    for a in range(0, rows, step):
        part = view[a: a + step]
        nan = np.isnan(part)
        kth = np.partition(np.where(nan, np.inf, part), k, axis=1)[:, k]
        kth[nan.sum(axis=1) > span // 2] = np.nan
        out[a: a + step] = kth
    return out
