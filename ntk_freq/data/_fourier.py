"""Fourier transforms of functions sampled on uniform grids, and per-frequency diagnostics.

Convention (docs/theory.md): û(ξ) = ∫ u(x) e^{−iξ·x} dx with angular frequencies ξ, approximated on
a uniform grid of spacing Δx (cell volume Δx^d = Π_i Δx_i) by the rectangle rule

    û(ξ) ≈ Σ_i u(x_i) e^{−iξ·x_i} Δx^d.

Accuracy (Poisson summation): for u negligible at the edge of the grid, the sum over the grid
x_i = x_0 + iΔx equals Σ_m e^{i 2π m x_0/Δx} û(ξ + 2π m/Δx) (m ∈ Z^d, per axis). On the
cell-centred grid of N points on [−L, L] (x_0 = −L + Δx/2, L = NΔx/2) the phase is
(−1)^{m(N−1)}: the aliased copies alternate in sign for even N. The error is those copies of û:
tiny when û has decayed at distance 2π/Δx_i − |ξ_i| from ξ. Use cell-centred grids (:func:`midpoint_grid`)
so that N Δx^d = |D|, the convention behind the data density c = 1/|D| of the mean loss.
"""

from __future__ import annotations

import numpy as np

from ntk_freq._util import validation as v

#: Bytes of the complex block e^{−iξ·x} built at once by :func:`fourier_transform`.
CHUNK_BYTES = 2**26


def midpoint_grid(half_width: float, n: int, dim: int = 1) -> tuple[np.ndarray, float]:
    """The cell-centred grid of the box D = [−L, L]^d with ``n`` points per axis.

    Returns (x, cell_volume): points of shape (n^d, d), C order (last axis fastest), and
    Δx^d = (2L/n)^d, so that N Δx^d = |D| exactly."""
    L = v.scale("half_width", half_width)
    n = v.positive_int("n", n)
    dim = v.positive_int("dim", dim)
    v.fits_in_memory(f"a grid of {n}^{dim} points", 8.0 * 3 * float(n) ** dim * dim)
    dx = 2 * L / n
    axis = -L + dx * (np.arange(n) + 0.5)
    x = np.stack(np.meshgrid(*[axis] * dim, indexing="ij"), axis=-1).reshape(-1, dim)
    return x, dx**dim


def frequency_grid(radius: float, n: int, dim: int = 1) -> np.ndarray:
    """A uniform ξ grid on [−R, R]^d with ``n`` nodes per axis (end points included), shape
    (n, …, n, d): for evaluating a spectrum, e.g. a solution of the frequency PDE."""
    R = v.positive("radius", radius)
    axis = np.linspace(-R, R, v.positive_int("n", n))
    return np.stack(np.meshgrid(*[axis] * v.positive_int("dim", dim), indexing="ij"), axis=-1)


def grid_cell_volume(x) -> float:
    """Δx^d = Π_i Δx_i of points ``x`` (shape (N, d)) that fill a uniform tensor grid.

    Raises ValueError if the points are not such a grid (pass ``cell_volume`` explicitly then);
    shape (N,) is read as N points in d = 1."""
    x = v.finite_array("x", x)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"x has shape {x.shape}; expected grid points of shape (N, d)")
    volume = 1.0
    for i in range(x.shape[1]):
        axis = np.unique(x[:, i])
        steps = np.diff(axis)
        if axis.size < 2 or np.ptp(steps) > 1e-8 * steps.mean():
            raise ValueError(
                f"x is not a uniform grid along axis {i} ({axis.size} distinct coordinates, steps "
                f"{steps.min() if steps.size else 0:g}…{steps.max() if steps.size else 0:g}); "
                "pass cell_volume explicitly"
            )
        volume *= steps.mean()
    if np.prod([np.unique(x[:, i]).size for i in range(x.shape[1])]) != x.shape[0]:
        raise ValueError("x does not fill a full tensor grid (pass cell_volume explicitly)")
    return float(volume)


def fourier_transform(u, x, xi, *, cell_volume: float | None = None) -> np.ndarray:
    """û(ξ) ≈ Σ_i u(x_i) e^{−iξ·x_i} Δx^d at arbitrary frequencies (module docstring).

    u: samples, shape (N,) or (..., N) (a batch of functions, e.g. snapshots in time), real or
    complex; x: the N grid points, shape (N, d) (or (N,) in d = 1); xi: angular frequencies,
    shape (..., d) (or a 1-D array of scalar frequencies in d = 1); cell_volume: Δx^d, inferred
    from a uniform tensor grid when None. Returns complex128 of shape
    u.shape[:-1] + xi.shape[:-1]. Memory: the phase block e^{−iξ·x} is built ``CHUNK_BYTES`` at
    a time."""
    u = np.asarray(u)
    if not np.all(np.isfinite(u)):
        raise ValueError("u contains NaN or infinite values; all samples must be finite")
    x = v.finite_array("x", x)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or u.ndim == 0 or u.shape[-1] != x.shape[0]:
        raise ValueError(
            f"u has shape {u.shape} and x shape {x.shape}: x must be (N, d) and u (..., N)"
        )
    xi = v.points("xi", xi, x.shape[1])
    dV = grid_cell_volume(x) if cell_volume is None else v.positive("cell_volume", cell_volume)
    flat_xi = xi.reshape(-1, x.shape[1])
    batch = u.reshape(-1, x.shape[0])
    out = np.empty((batch.shape[0], flat_xi.shape[0]), dtype=complex)
    block = max(1, CHUNK_BYTES // (16 * x.shape[0]))
    for start in range(0, flat_xi.shape[0], block):
        phase = np.exp(-1j * (x @ flat_xi[start : start + block].T))  # (N, block)
        out[:, start : start + block] = batch @ phase
    return (dV * out).reshape(u.shape[:-1] + xi.shape[:-1])


def relative_l2(u_hat, reference, weights=None) -> float:
    """‖û − û_ref‖ / ‖û_ref‖ in the (optionally quadrature-weighted) discrete L² norm over ξ:
    the gap between two routes to the same spectrum (NaN where a spectrum is NaN: a route
    that was not run)."""
    a, b = np.asarray(u_hat), np.asarray(reference)
    w = np.ones(b.shape) if weights is None else np.broadcast_to(weights, b.shape)
    den = np.sqrt(np.sum(w * np.abs(b) ** 2))
    if den == 0:
        raise ValueError("the reference spectrum is identically zero; the relative gap is undefined")
    return float(np.sqrt(np.sum(w * np.abs(a - b) ** 2)) / den)


def remaining_fraction(u_hat_t, u_hat_0) -> np.ndarray:
    """|û(ξ, t)| / |û(ξ, 0)| per frequency: the part of the initial error still to be learned
    (1 at the start; NaN where û(ξ, 0) = 0)."""
    a0 = np.abs(np.asarray(u_hat_0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a0 > 0, np.abs(np.asarray(u_hat_t)) / a0, np.nan)
