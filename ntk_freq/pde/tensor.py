"""The mass matrix of a tensor-product box mesh as a Kronecker product, solved in O(N).

On the box Ω = Π_k [−R, R] meshed by axis-aligned hexahedra (``MeshHex.init_tensor`` of the
axis node sets) with Q1/Q2 Lagrange elements, every basis function is a product of 1-D
P1/P2 Lagrange functions, φ_i(ξ) = Π_k ψ_{i_k}(ξ_k), so the mass matrix factorises exactly:

    M = M₁ ⊗ M₂ ⊗ M₃,   (M_k)_{ab} = ∫ ψ_a ψ_b dξ_k   (1-D masses on the axis nodes),

and M⁻¹B costs one banded Cholesky solve per axis (bandwidth 1 for P1, 2 for P2 in sorted
node order): O(N) for N DOFs, no fill-in. This is what makes the exact-in-time Lanczos
integrator (:func:`ntk_freq.pde.time.lanczos_exact`) cheap in 3-D, where a sparse LU of a
3-D finite-element matrix fills in ~80× and Jacobi CG on the mass needs ~60 products.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve_banded, cholesky_banded
from skfem import Basis, ElementLineP1, ElementLineP2, MeshLine, asm

from . import fem

_LINE_ELEMENTS = {1: ElementLineP1, 2: ElementLineP2}


class TensorMass:
    """M⁻¹ for the Q1/Q2 basis of a tensor hexahedral box mesh (module docstring).

    axes: the 1-D node sets of the mesh (sorted); order: 1 or 2. ``solve(B)`` applies M⁻¹ to
    B of shape (N,) or (N, c) in the basis' DOF order."""

    def __init__(self, basis: Basis, axes, order: int):
        factors, nodes = [], []
        for a in axes:
            line = Basis(MeshLine(np.asarray(a, dtype=float)), _LINE_ELEMENTS[order](),
                         intorder=2 * order + 2)
            m = asm(fem.mass_form, line).toarray()
            o = np.argsort(line.doflocs[0])
            m = m[np.ix_(o, o)]
            factors.append(cholesky_banded(_upper_bands(m, order)))
            nodes.append(line.doflocs[0][o])
        self.factors, self.shape = factors, tuple(len(n) for n in nodes)
        index = []
        for k, n in enumerate(nodes):
            c = basis.doflocs[k]
            i = np.clip(np.searchsorted(n, c - 1e-9 * (n[-1] - n[0])), 0, len(n) - 1)
            if np.max(np.abs(n[i] - c)) > 1e-9 * (n[-1] - n[0]):
                raise ValueError("the basis' DOFs are not the tensor grid of the axis nodes")
            index.append(i)
        self.index = np.ravel_multi_index(index, self.shape)
        if np.unique(self.index).size != basis.N or basis.N != np.prod(self.shape):
            raise ValueError("the basis' DOFs are not the tensor grid of the axis nodes")

    def solve(self, B: np.ndarray) -> np.ndarray:
        """M⁻¹ B, B of shape (N,) or (N, c)."""
        B = np.asarray(B, dtype=np.float64)
        cols = B.shape[1:]
        g = np.empty((int(np.prod(self.shape)),) + cols)
        g[self.index] = B
        g = g.reshape(self.shape + cols)
        for k, (factor, n) in enumerate(zip(self.factors, self.shape)):
            moved = np.moveaxis(g, k, 0)
            g = np.moveaxis(cho_solve_banded((factor, False), moved.reshape(n, -1)).reshape(moved.shape), 0, k)
        return g.reshape((-1,) + cols)[self.index]


def _upper_bands(m: np.ndarray, u: int) -> np.ndarray:
    """Upper banded storage ab[u + i − j, j] = m[i, j] (i ≤ j) of a symmetric band matrix."""
    n = m.shape[0]
    ab = np.zeros((u + 1, n))
    for k in range(u + 1):
        ab[u - k, k:] = np.diagonal(m, k)
    return ab
