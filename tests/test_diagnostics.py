"""Spectral-bias diagnostics against cases with known answers: trigonometric targets on periodic
grids (discrete orthogonality makes Δ_F exact), a Gaussian filter on the circle (its eigenvalues
are ratios of modified Bessel functions), sines along interpolation paths (Parseval), linear
models (exact per-mode dynamics, zero kernel change), f = θ²x (closed-form kernel change), the
kernel prediction against an ODE solver."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import integrate, special

from ntk_freq.kernels import empirical_ntk
from ntk_freq.diagnostics import _spectral_bias as dg

PERIODIC = np.linspace(0, 2 * np.pi, 128, endpoint=False)


# --- Δ_F and spectral peaks ------------------------------------------------------------------


def test_peaks_of_two_sines_in_1d():
    y = np.sin(3 * PERIODIC) + 0.5 * np.sin(7 * PERIODIC)
    peaks = dg.spectral_peaks(y, PERIODIC, xi_max=10.0)
    # the default ξ grid has 8 nodes per 2π/L (L = 2π·127/128): nodes within 1/16 of 3 and 7
    assert peaks.shape == (2, 1)
    np.testing.assert_allclose(peaks[:, 0], [3.0, 7.0], atol=1 / 16)


def test_peaks_of_a_2d_plane_wave_pair():
    g = np.linspace(-np.pi, np.pi, 48, endpoint=False)
    X = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    y = np.cos(2 * X[:, 0] + 3 * X[:, 1]) + 0.3 * np.cos(5 * X[:, 0])
    peaks = dg.spectral_peaks(y, X, xi_max=8.0)
    spacing = 2 * 8.0 / (2 * np.ceil(8 * 8.0 * np.ptp(g) / (2 * np.pi)))   # the ξ grid's step
    np.testing.assert_allclose(peaks, [[2.0, 3.0], [5.0, 0.0]], atol=spacing)


@settings(max_examples=25, deadline=None)
@given(a=st.floats(-2, 2), b=st.floats(-2, 2))
def test_delta_f_is_the_missing_fraction_of_each_sine(a, b):
    # on a full period the DFT at an integer frequency sees only its own sine: Δ_F = |1 − a|
    s3, s7 = np.sin(3 * PERIODIC), 0.5 * np.sin(7 * PERIODIC)
    h = a * s3 + b * s7
    d = dg.delta_f(h, s3 + s7, PERIODIC, xi=[3.0, 7.0])
    np.testing.assert_allclose(d[0], [abs(1 - a), abs(1 - b)], atol=1e-12)


def test_delta_f_in_2d_and_at_several_snapshots():
    g = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    X = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    low, high = np.cos(X[:, 0] + X[:, 1]), np.sin(4 * X[:, 0] - 2 * X[:, 1])
    h = np.stack([0 * low, low, low + 0.5 * high, low + high])
    d = dg.delta_f(h, low + high, X, xi=[[1.0, 1.0], [4.0, -2.0]])
    np.testing.assert_allclose(d, [[1, 1], [0, 1], [0, 0.5], [0, 0]], atol=1e-12)


def test_delta_f_refuses_bad_input():
    y = np.sin(3 * PERIODIC)
    with pytest.raises(ValueError, match=r"predictions has shape \(2, 100\); expected \(T, 128\)"):
        dg.delta_f(np.zeros((2, 100)), y, PERIODIC, xi=[3.0])
    h = np.zeros((3, 128))
    h[1, 5] = np.nan
    with pytest.raises(ValueError, match=r"snapshot\(s\) \[1\]"):
        dg.delta_f(h, y, PERIODIC, xi=[3.0])
    with pytest.raises(ValueError, match="vanishes"):
        dg.delta_f(h[0], y, PERIODIC, xi=[5.0])
    with pytest.raises(ValueError, match="y has shape"):
        dg.delta_f(h, y[:10], PERIODIC, xi=[3.0])


# --- the filtering method --------------------------------------------------------------------

THETA = np.linspace(0, 2 * np.pi, 256, endpoint=False)
CIRCLE = np.c_[np.cos(THETA), np.sin(THETA)]


@pytest.mark.parametrize("k", [0, 1, 3, 8])
@pytest.mark.parametrize("delta", [0.2, 0.5])
def test_gaussian_filter_on_the_circle_is_a_bessel_ratio(k, delta):
    # exp(−|x−x'|²/2δ²) = e^{−1/δ²} e^{cos Δθ/δ²} = e^{−1/δ²} Σ_k I_k(1/δ²) e^{ikΔθ}: the
    # normalised filter multiplies cos kθ by I_k(1/δ²)/I_0(1/δ²); the uniform 256-point rule
    # integrates it exactly up to aliasing of degree 256 − k (negligible)
    low = dg.low_pass(np.cos(k * THETA), CIRCLE, delta)
    gain = special.ive(k, delta**-2) / special.ive(0, delta**-2)
    np.testing.assert_allclose(low, gain * np.cos(k * THETA), atol=1e-13)


def test_filtered_errors_of_known_parts():
    y = np.cos(THETA) + np.cos(8 * THETA)
    delta = 0.3
    g1, g8 = (special.ive(k, delta**-2) / special.ive(0, delta**-2) for k in (1, 8))
    y_low = g1 * np.cos(THETA) + g8 * np.cos(8 * THETA)
    # predictions: nothing, exactly the low part, everything
    fe = dg.filtered_errors(np.stack([0 * y, y_low, y]), y, CIRCLE, delta=delta)
    np.testing.assert_allclose(fe.e_low, [1.0, np.linalg.norm(dg.low_pass(y - y_low, CIRCLE, delta))
                                          / np.linalg.norm(y_low), 0.0], atol=1e-12)
    # the low part of y_low is y_low filtered again: gains g², so its high part is known too
    y_high = y - y_low
    h_high = (g1 - g1**2) * np.cos(THETA) + (g8 - g8**2) * np.cos(8 * THETA)
    np.testing.assert_allclose(fe.e_high[1], np.linalg.norm(h_high - y_high) / np.linalg.norm(y_high),
                               atol=1e-12)
    np.testing.assert_allclose(fe.e_high[[0, 2]], [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(fe.high_fraction, np.linalg.norm(y_high) / np.linalg.norm(y), rtol=1e-12)


def test_filter_width_outside_the_data_scale_is_refused():
    nn, diameter = dg.data_scale(CIRCLE)
    np.testing.assert_allclose([nn, diameter], [2 * np.sin(np.pi / 256), 2.0], rtol=1e-12)
    for delta in (nn / 5, 2.5):
        with pytest.raises(ValueError, match="outside the data's scale"):
            dg.filtered_errors(np.zeros((1, 256)), np.cos(THETA), CIRCLE, delta=delta)


def test_filtered_errors_multi_output_and_shape_checks():
    y = np.c_[np.cos(THETA), np.cos(8 * THETA)]
    fe = dg.filtered_errors(np.stack([0 * y, y]), y, CIRCLE, delta=0.3)
    np.testing.assert_allclose(fe.e_low, [1, 0], atol=1e-12)
    with pytest.raises(ValueError, match=r"expected \(T, 256, 2\)"):
        dg.filtered_errors(np.zeros((2, 256, 3)), y, CIRCLE, delta=0.3)
    with pytest.raises(ValueError, match="NaN"):
        dg.filtered_errors(np.full((2, 256, 2), np.nan), y, CIRCLE, delta=0.3)


# --- interpolation spectra -------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 15), a=st.floats(-3, 3), b=st.floats(-3, 3), amp=st.floats(0.1, 3))
def test_path_spectrum_of_a_sine_ignores_the_end_values(k, a, b, amp):
    s = np.linspace(0, 1, 33)
    out = amp * np.sin(2 * np.pi * k * s) + a + (b - a) * s
    power = dg.path_power_spectrum(out[None])[0]
    expected = np.zeros(17)             # M = 32 samples per period: k = 0…16
    expected[k] = amp**2 / 2
    np.testing.assert_allclose(power, expected, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000))
def test_path_spectrum_parseval(seed):
    g = np.random.default_rng(seed).normal(size=(3, 40, 2))
    g[:, -1] = g[:, 0] = 0            # ends already zero: nothing to detrend
    power = dg.path_power_spectrum(g)
    np.testing.assert_allclose(power.sum(axis=1), np.mean(np.sum(g[:, :-1] ** 2, axis=2), axis=1),
                               rtol=1e-12)


def _lattice_classes():
    # class c sits at x0 ∈ {3c, 3c + 1}: within-class paths move x0 by ±1, across by ±2…±5
    x0 = np.array([0, 1, 3, 4, 6, 7], dtype=float)
    x = np.c_[x0, np.zeros(6)]
    return x, np.array([0, 0, 1, 1, 2, 2])


def test_interpolation_spectra_of_a_known_function():
    x, labels = _lattice_classes()
    m = 3

    def apply_fn(params, z):             # sin(2π m x0): on a path with Δx0 = n, sin(2π m n s)
        return jnp.sin(2 * jnp.pi * m * z[:, 0])

    res = dg.interpolation_spectra(apply_fn, None, x, labels=labels, n_pairs=40, n_points=129,
                                   bands=((1, 4), (4, 64)))
    expected = np.zeros(65)
    expected[m] = 0.5
    np.testing.assert_allclose(res.within, expected, atol=1e-10)
    np.testing.assert_allclose(res.across.sum(), 0.5, rtol=1e-10)      # Parseval, every path
    assert res.across[: 2 * m].max() < 1e-10                            # |Δx0| ≥ 2: k ≥ 2m
    np.testing.assert_allclose(res.band_power["within"], [0.5, 0.0], atol=1e-10)
    np.testing.assert_allclose(res.band_power["across"], [0.0, 0.5], atol=1e-10)


def test_interpolation_needs_two_examples_per_class():
    x, labels = _lattice_classes()
    labels = labels.copy()
    labels[-1] = 3
    with pytest.raises(ValueError, match=r"class\(es\) \[2, 3\] have fewer than 2 examples"):
        dg.interpolation_spectra(lambda p, z: z[:, 0], None, x, labels=labels)
    with pytest.raises(ValueError, match="labels has shape"):
        dg.interpolation_spectra(lambda p, z: z[:, 0], None, x, labels=labels[:4])
    with pytest.raises(ValueError, match="single class"):
        dg.class_pairs(np.zeros(6, int), 4)


# --- the empirical NTK, its modes, the kernel prediction -------------------------------------


def _linear_model(n=24, p=10, seed=0):
    """f(θ, x) = φ(x)·θ with fixed random features: its NTK is φφᵀ and never changes."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(1, p))
    x = np.linspace(-1, 1, n)[:, None]

    def apply_fn(theta, z):
        return jnp.cos(z @ W * 3.0 + jnp.arange(p)) @ theta["w"]

    phi = np.cos(x @ W * 3.0 + np.arange(p))
    return apply_fn, phi, x, {"w": jnp.asarray(rng.normal(size=p))}


def test_empirical_ntk_of_a_linear_model_is_its_feature_gram():
    with jax.enable_x64(True):  # float64 parameters: the caller's model, made in 64-bit mode
        apply_fn, phi, x, theta = _linear_model()
        np.testing.assert_allclose(empirical_ntk(apply_fn, theta, x), phi @ phi.T, rtol=1e-12)


def test_ntk_modes_projection():
    apply_fn, phi, x, theta = _linear_model()
    modes = dg.ntk_modes(phi @ phi.T, np.sin(3 * x[:, 0]))
    np.testing.assert_allclose(modes.projection.sum(), 1.0, rtol=1e-12)
    # a target on one eigenvector puts all its energy there
    on_mode = dg.ntk_modes(phi @ phi.T, modes.V[:, 2])
    np.testing.assert_allclose(on_mode.projection[2], 1.0, rtol=1e-12)
    assert modes.energy_within(10) == pytest.approx(1.0, abs=1e-10)     # rank 10: the rest is null


def test_mode_curves_of_gradient_descent_on_a_linear_model_are_exact():
    with jax.enable_x64(True):  # float64 parameters: the caller's model, made in 64-bit mode
        apply_fn, phi, x, theta = _linear_model()
        y = jnp.asarray(np.sin(3 * x[:, 0]))
        n, eta = x.shape[0], 0.05
        grad = jax.jit(jax.grad(lambda th: 0.5 * jnp.mean((apply_fn(th, x) - y) ** 2)))
        errors = []
        for step in range(201):
            if step % 50 == 0:
                errors.append(np.asarray(apply_fn(theta, x) - y))
            theta = jax.tree_util.tree_map(lambda a, g: a - eta * g, theta, grad(theta))
        times = eta * np.arange(0, 201, 50)
        curves = dg.mode_learning_curves(phi @ phi.T, np.stack(errors), times, eta=eta)
        np.testing.assert_allclose(curves.measured, curves.predicted, atol=1e-10)
        flow = dg.mode_learning_curves(phi @ phi.T, np.stack(errors), times)
        # the flow differs from the GD map by (1 − ηλ)^k vs e^{−ηλk}: O(η λ² t) per unit coefficient
        gap = np.abs(flow.predicted - flow.measured).max()
        assert gap < eta * flow.lam.max() ** 2 * times[-1] * np.abs(flow.measured[0]).max()
        assert dg.learning_time(times, flow.remaining_measured[:, 0], 0.5) < times[-1]


def test_kernel_predict_matches_the_ode_of_gradient_flow():
    rng = np.random.default_rng(1)
    X, Xs = rng.normal(size=(12, 2)), rng.normal(size=(5, 2))
    kern = lambda a, b: np.exp(-0.5 * ((a[:, None] - b[None]) ** 2).sum(-1))   # noqa: E731
    K, Ks = kern(X, X), kern(Xs, X)
    y = np.sin(X[:, 0])
    times = np.array([0.0, 2.0, 20.0])
    pred = dg.kernel_predict(Ks, K, -y, times=times)
    # dF/dt = −Θ(·, X)(f(X) − y)/N for the train and test outputs together, f_0 = 0
    def rhs(t, F):
        return -np.concatenate([K, Ks]) @ (F[:12] - y) / 12
    sol = integrate.solve_ivp(rhs, (0, 20), np.zeros(17), t_eval=times, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(pred, sol.y[12:].T, atol=1e-8)
    # at t → ∞: kernel regression Θ(x*, X) Θ^{-1} y
    np.testing.assert_allclose(dg.kernel_predict(Ks, K, -y, times=[1e9])[0], Ks @ np.linalg.solve(K, y),
                               rtol=1e-5)


# --- kernel regime ---------------------------------------------------------------------------


def test_linear_model_is_lazy_for_ever():
    with jax.enable_x64(True):  # float64 parameters: the caller's model, made in 64-bit mode
        apply_fn, phi, x, theta = _linear_model()
        far = {"w": theta["w"] + 10.0}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            reg = dg.kernel_regime(apply_fn, [theta, far], x)
        np.testing.assert_allclose(reg.ntk_change, 0.0, atol=1e-12)
        np.testing.assert_allclose(reg.linearisation_gap, 0.0, atol=1e-10)
        assert reg.matches_kernel and reg.param_distance[1] > 1


def test_kernel_regime_of_theta_squared():
    # f = θ² x: Θ = 4θ² x x', so ‖Θ_t − Θ_0‖/‖Θ_0‖ = |θ_t² − θ_0²|/θ_0²; the Taylor model at θ_0
    # misses (θ_t − θ_0)² x out of (θ_t² − θ_0²) x: a gap |θ_t − θ_0|/|θ_t + θ_0|
    with jax.enable_x64(True):  # float64 parameters: the caller's model, made in 64-bit mode
        x = np.linspace(0.5, 1.5, 6)[:, None]
        apply_fn = lambda p, z: p["t"] ** 2 * z[:, 0]   # noqa: E731
        t0, ts = 1.0, np.array([1.0, 1.02, 1.5])
        snaps = [{"t": jnp.asarray(t)} for t in ts]
        with pytest.warns(dg.LazyRegimeWarning, match="left the kernel regime"):
            reg = dg.kernel_regime(apply_fn, snaps, x, threshold=0.1)
        np.testing.assert_allclose(reg.ntk_change, np.abs(ts**2 - t0**2) / t0**2, rtol=1e-10)
        np.testing.assert_allclose(reg.param_distance, np.abs(ts - t0) / t0, rtol=1e-10)
        np.testing.assert_allclose(reg.linearisation_gap[1:], (ts[1:] - t0) / (ts[1:] + t0), rtol=1e-10)
        assert not reg.matches_kernel
        lazy = dg.kernel_regime(apply_fn, snaps[:2], x, threshold=0.1)
        assert lazy.matches_kernel


def test_kernel_regime_refuses_bad_snapshots():
    apply_fn, phi, x, theta = _linear_model()
    with pytest.raises(ValueError, match=">= 2 parameter sets"):
        dg.kernel_regime(apply_fn, [theta], x)
    with pytest.raises(ValueError, match="snapshot 1 holds NaN"):
        dg.kernel_regime(apply_fn, [theta, {"w": theta["w"] * np.nan}], x)
    with pytest.raises(ValueError, match="both y and times"):
        dg.kernel_regime(apply_fn, [theta, theta], x, y=np.zeros(24))


def test_learning_time_of_exponentials_and_power_law_fit():
    t = np.linspace(0, 10, 11)
    lam = np.array([0.3, 1.1])
    # log-linear interpolation is exact for exponential decay: t = ln 2/λ
    np.testing.assert_allclose(dg.learning_time(t, np.exp(-np.outer(t, lam)), 0.5), np.log(2) / lam,
                               rtol=1e-12)
    assert dg.learning_time(t, np.ones(11), 0.5) == np.inf
    k = np.array([2.0, 4.0, 8.0])
    assert dg.fit_exponent(k, 3 * k**2.5) == pytest.approx(2.5, abs=1e-12)
