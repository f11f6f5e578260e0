"""The constant-run kernel is exact and does not depend on the block size."""

import numpy as np
import pytest

from auditor.detect.runs import RunTracker, runs_in_block


def brute_runs(x: np.ndarray, min_len: int) -> list[tuple[int, int, float, float]]:
    out, i = [], 0
    while i < x.size:
        j = i
        while j + 1 < x.size and x[j + 1] == x[i]:
            j += 1
        if j - i + 1 >= min_len:
            left = abs(x[i - 1] - x[i]) if i > 0 else np.inf
            right = abs(x[j + 1] - x[i]) if j + 1 < x.size else np.inf
            out.append((i, j - i + 1, float(x[i]), float(max(left, right))))
        i = j + 1
    return out


def tracked(x: np.ndarray, min_len: int, block: int) -> list[tuple[int, int, float]]:
    t = RunTracker(min_len)
    for k in range(0, x.size, block):
        t.update(x[k : k + block])
    r = t.finish()
    return [(int(s), int(n), float(v), float(j))
            for s, n, v, j in zip(r.start, r.length, r.value, r.jump, strict=True)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("min_len", [2, 3, 8, 17])
@pytest.mark.parametrize("block", [1, 7, 64, 1000, 100000])
def test_tracker_matches_brute_force(seed, min_len, block):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, 3000).astype(np.float32)  # many natural runs
    for _ in range(5):  # plus long planted runs, some across block edges
        a = int(rng.integers(0, 2900))
        x[a : a + int(rng.integers(1, 90))] = rng.integers(-3, 4)
    assert tracked(x, min_len, block) == brute_runs(x, min_len)


def test_whole_signal_one_run_and_edges():
    x = np.zeros(500, np.float32)
    assert tracked(x, 10, 64) == [(0, 500, 0.0, np.inf)]
    x[0:3] = 1.0
    x[-2:] = 2.0
    assert tracked(x, 2, 50) == brute_runs(x, 2)


def test_block_kernel_leaves_out_edge_runs():
    x = np.array([0, 0, 0, 1, 2, 2, 2, 2, 3, 4, 4, 4], np.float32)
    s, n, v, j = runs_in_block(x, 3)
    assert list(s) == [4] and list(n) == [4] and list(v) == [2.0] and list(j) == [1.0]
