"""The optimal one-to-one assignment behind scoring: which rows and columns of a weight
matrix to pair so that the paired weights sum to the most.

SciPy's `linear_sum_assignment` (the `score` extra) is the fast path; without it a plain
Python Hungarian algorithm gives an assignment of the same total weight, more slowly on large
blocks of same-class objects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def best_assignment(weights: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """(row, column) pairs, sorted by row, maximising the sum of their weights; every row (or
    every column, whichever are fewer) is paired."""
    if not weights or not weights[0]:
        return []
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        return hungarian_max(weights)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)]


def hungarian_max(weights: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """The plain path of `best_assignment`: the Hungarian method with potentials, O(n²m)."""
    n, m = len(weights), len(weights[0])
    if n > m:  # the method pairs every row: work on the transpose
        flipped = hungarian_max([[weights[i][j] for i in range(n)] for j in range(m)])
        return sorted((i, j) for j, i in flipped)
    top = max(max(row) for row in weights)
    cost = [[0.0] * (m + 1)] + [[0.0, *(top - w for w in row)] for row in weights]
    u, v = [0.0] * (n + 1), [0.0] * (m + 1)
    owner, way = [0] * (m + 1), [0] * (m + 1)  # owner[j]: the row paired with column j
    for i in range(1, n + 1):
        owner[0], j0 = i, 0
        slack, used = [math.inf] * (m + 1), [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = owner[j0], math.inf, 0
            row = cost[i0]
            for j in range(1, m + 1):
                if not used[j]:
                    reduced = row[j] - u[i0] - v[j]
                    if reduced < slack[j]:
                        slack[j], way[j] = reduced, j0
                    if slack[j] < delta:
                        delta, j1 = slack[j], j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    slack[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:  # flip the augmenting path
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    return sorted((owner[j] - 1, j - 1) for j in range(1, m + 1) if owner[j])
