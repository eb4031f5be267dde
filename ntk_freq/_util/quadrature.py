"""Gauss–Legendre rules with their cost checked first: numpy builds the n-node rule from a
dense n × n eigenproblem (O(n³) time, O(n²) memory: 3 s at 4000 nodes, hours at 10⁵, never at
10⁹); asking for one beyond the budget is refused with the estimate."""

from __future__ import annotations

import numpy as np

from ntk_freq._util import validation as v


def gauss_legendre(n: int, what: str = "a Gauss–Legendre rule") -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the n-node Gauss–Legendre rule on [−1, 1] (numpy's ``leggauss``),
    after refusing (MemoryError, with the estimate) one whose eigenproblem would not fit in
    memory or take longer than the operations budget."""
    n = v.positive_int("n", n)
    v.fits_in_memory(f"{what} of {n} nodes (an {n} × {n} eigenproblem)", 8.0 * 3 * float(n) ** 2)
    # measured: 3 s at n = 4000 on the reference 2-core machine, i.e. 0.004 n³ in the units of
    # the operations budget (5e10 ≈ ten minutes)
    v.affordable(f"{what} of {n} nodes", 0.004 * float(n) ** 3, "use fewer nodes")
    return np.polynomial.legendre.leggauss(n)
