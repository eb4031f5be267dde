"""The structured kernel flow (FFT mat-vecs + Lanczos on a uniform grid) against independent
routes: the dense closed-form Gram matrix Θ(X, X) (:func:`ntk_freq.kernels.ff_ntk`) with its
eigendecomposition (flow, GD map) and LAPACK's eigvalsh (stability limit).

Tolerances: Lanczos stops when every snapshot moves by < 1e-13 ‖Q^{1/2}u₀‖ between checks and
the FFT convolution is exact up to rounding (~1e-15 relative per mat-vec, over ~100 mat-vecs),
so the routes agree to ~1e-12 of max |u₀|; we allow 1e-9 (the issue asks 1e-8)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ntk_freq.distributions._families import Gaussian, Shift
from ntk_freq.distributions._spec import distribution
from ntk_freq.kernels._closed_form import ff_ntk
from ntk_freq.kernels._structured import (STRUCTURED_MIN_POINTS, StructuredKernelOperator,
                                          ToeplitzNTK, kernel_operator, uniform_grid)
from ntk_freq.kernels._operator import KernelOperator

TOL = 1e-9


def grid_points(shape, lo, hi, seed=0):
    """A cell-centred tensor grid, points shuffled (the routes must not depend on the order)."""
    axes = [a + (b - a) * (np.arange(n) + 0.5) / n for n, a, b in zip(shape, lo, hi)]
    x = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(shape))
    return x[np.random.default_rng(seed).permutation(len(x))]


def weights_for(x):
    q = 1.0 + 0.6 * np.cos(x[:, 0]) ** 2
    return q / q.sum()


CASES = [  # (ρ_w, grid shape, lower corner, upper corner)
    (distribution("gaussian:3", 1), (180,), (-6.0,), (6.0,)),
    (distribution("uniform:8", 1), (151,), (-5.0,), (7.0,)),
    # a shifted Gaussian in 2-D: φ_w(z₁, −z₂) ≠ φ_w(z₁, z₂), so the block-Toeplitz lags of
    # every sign matter; unequal steps and sizes per axis
    (Shift(Gaussian(1.5, 2), (1.0, -2.0)), (15, 11), (-3.0, -2.0), (3.0, 4.0)),
]


@pytest.mark.parametrize("rho, shape, lo, hi", CASES, ids=["1d-gauss", "1d-uniform", "2d-shift"])
def test_matvec_is_the_closed_form_gram(rho, shape, lo, hi):
    """Θ = T + σ_a² Σ_k X_k T X_k: the FFT mat-vec equals the dense closed-form NTK times u."""
    x = grid_points(shape, lo, hi)
    u = np.random.default_rng(1).standard_normal(len(x))
    for part in ("full", "readout", "frequency"):
        theta = ToeplitzNTK(rho, 0.7, part, x, uniform_grid(x))
        dense = ff_ntk(x, x, rho, sigma_a=0.7, part=part) @ u
        assert np.max(np.abs(theta.matvec(u) - dense)) < 1e-12 * np.max(np.abs(dense))


@pytest.mark.parametrize("weighted", [False, True], ids=["mean-loss", "weights"])
@pytest.mark.parametrize("part", ["full", "readout", "frequency"])
@pytest.mark.parametrize("rho, shape, lo, hi", CASES, ids=["1d-gauss", "1d-uniform", "2d-shift"])
def test_flow_and_gd_match_dense(rho, shape, lo, hi, part, weighted):
    x = grid_points(shape, lo, hi)
    q = weights_for(x) if weighted else None
    u0 = np.exp(-np.sum(x**2, 1) / 4) * np.sin(3 * x[:, 0] + 0.5)
    s = kernel_operator(rho, 0.5, part, x=x, weights=q, method="structured")
    d = KernelOperator.from_gram(ff_ntk(x, x, rho, sigma_a=0.5, part=part), q)
    assert isinstance(s, StructuredKernelOperator)
    times = np.array([0.0, 0.5, 7.0, 60.0, 400.0])
    assert np.max(np.abs(s.flow(u0, times) - d.flow(u0, times))) < TOL
    eta = 0.95 * d.stability_limit
    steps = [0, 1, 30, 900]
    assert np.max(np.abs(s.gd(u0, eta, steps) - d.gd(u0, eta, steps))) < TOL
    # complex initial errors (e.g. spectra) go through their real and imaginary parts
    z0 = u0 + 1j * np.cos(x[:, -1])
    assert np.max(np.abs(s.flow(z0, times) - d.flow(z0, times))) < 2 * TOL


@pytest.mark.parametrize("weighted", [False, True], ids=["mean-loss", "weights"])
@pytest.mark.parametrize("rho, shape, lo, hi", CASES, ids=["1d-gauss", "1d-uniform", "2d-shift"])
def test_stability_limit_matches_eigvalsh(rho, shape, lo, hi, weighted):
    """2/λ_max(Θ diag(q)) against LAPACK on the symmetric Q^{1/2} Θ Q^{1/2}: ARPACK's tolerance
    1e-13 gives ~1e-12 relative."""
    x = grid_points(shape, lo, hi)
    q = weights_for(x) if weighted else np.full(len(x), 1.0 / len(x))
    r = np.sqrt(q)
    lam = np.linalg.eigvalsh(r[:, None] * ff_ntk(x, x, rho, sigma_a=0.5, part="full") * r[None, :])[-1]
    s = kernel_operator(rho, 0.5, "full", x=x, weights=q if weighted else None, method="structured")
    assert s.stability_limit == pytest.approx(2.0 / lam, rel=1e-10)


def test_auto_picks_the_route():
    rho = distribution("gaussian:3", 1)
    n = STRUCTURED_MIN_POINTS
    grid = np.linspace(-5, 5, n)
    assert isinstance(kernel_operator(rho, 0.5, "full", x=grid), StructuredKernelOperator)
    assert isinstance(kernel_operator(rho, 0.5, "full", x=grid[: n - 1]), KernelOperator)
    scattered = np.sort(np.random.default_rng(0).uniform(-5, 5, n))
    assert isinstance(kernel_operator(rho, 0.5, "full", x=scattered), KernelOperator)
    with pytest.raises(ValueError, match="method='structured' needs x on a uniform"):
        kernel_operator(rho, 0.5, "full", x=scattered, method="structured")


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3), seed=st.integers(0, 2**16),
       spoil=st.sampled_from(["none", "drop", "duplicate", "jitter"]))
def test_grid_detection(shape, seed, spoil):
    """A shuffled tensor grid is recognised with its shape and point order; a grid with an
    interior point missing, a point doubled or moved by 1e-6 of the extent is not."""
    x = grid_points(shape, [-1.0] * len(shape), [2.0] * len(shape), seed)
    axis = int(np.argmax(shape))
    if spoil == "drop" and max(shape) > 3:  # an interior point (an end point, or the middle of
        # three, leaves a smaller grid)
        second = np.unique(x[:, axis])[1]
        x = np.delete(x, np.flatnonzero(x[:, axis] == second)[0], axis=0)
    elif spoil == "duplicate":
        x = np.concatenate([x, x[:1]])
    elif spoil == "jitter" and len(x) > 1 and max(shape) > 2:
        x = x.copy()
        x[0, axis] += 3e-6
    else:
        spoil = "none"
    g = uniform_grid(x)
    if spoil != "none":
        assert g is None
        return
    assert g.shape == tuple(shape)
    corner = g.origin + g.step * np.stack(np.unravel_index(g.index, g.shape), axis=-1)
    assert np.allclose(corner, x, rtol=0, atol=1e-12)


def test_bad_input_is_named():
    rho = distribution("gaussian:3", 1)
    x = np.linspace(-5, 5, 50)
    with pytest.raises(ValueError, match="weights must be 50 numbers > 0"):
        kernel_operator(rho, 0.5, "full", x=x, weights=np.full(50, 0.03))
    with pytest.raises(ValueError, match="part"):
        kernel_operator(rho, 0.5, "both", x=x)
    with pytest.raises(ValueError, match="method"):
        kernel_operator(rho, 0.5, "full", x=x, method="fast")
    op = kernel_operator(rho, 0.5, "full", x=x, method="structured")
    with pytest.raises(ValueError, match="times must be >= 0"):
        op.flow(np.ones(50), [-1.0])
    with pytest.raises(ValueError, match="u0 must have shape"):
        op.flow(np.ones(49), [1.0])
    with pytest.raises(ValueError, match="steps must be integers"):
        op.gd(np.ones(50), 0.1, [1.5])
