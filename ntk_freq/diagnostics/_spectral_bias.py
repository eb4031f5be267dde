"""Spectral-bias diagnostics for any network: the F-principle measurements of Xu et al., the
interpolation spectra of Fridovich-Keil et al. (2022), the empirical NTK's eigenmodes, and checks
of the kernel (lazy) regime.

Everything works on plain arrays (predictions at snapshot times) or on any JAX model given as
``apply_fn(params, x)`` with ``x`` of shape (n, d) and an output of shape (n,) or (n, C), plus
snapshots of its parameters. Conventions (docs/theory.md): angular frequencies, û(ξ) = Σ_i u(x_i)
e^{−iξ·x_i} Δx^d on the data points, flow time t = η · step for gradient descent on the mean loss
(1/2N) Σ_i (f(x_i) − y_i)².

- :func:`spectral_peaks`, :func:`delta_f`: Δ_F(ξ, t) = |ĥ_t(ξ) − ŷ(ξ)| / |ŷ(ξ)| at the target's
  spectral peaks (1-D and d-D data);
- :func:`low_pass`, :func:`filtered_errors`: the filtering method, low- and high-frequency parts of
  the error through a normalised Gaussian filter of width δ over the samples;
- :func:`path_power_spectrum`, :func:`interpolation_spectra`: the power spectrum of the output
  along straight paths between pairs of training inputs, within and across classes, per band;
- :func:`ntk_freq.kernels.empirical_ntk`, :func:`ntk_modes`, :func:`mode_learning_curves`: the finite-width
  NTK, the target's projection on its eigenvectors, per-mode learning curves predicted vs measured;
- :func:`kernel_predict`: the kernel regime's learned function at any test point;
- :func:`kernel_regime`: ‖Θ_t − Θ_0‖/‖Θ_0‖, ‖θ_t − θ_0‖/‖θ_0‖ and the gap to the linearised
  model, with a :class:`LazyRegimeWarning` when a run leaves the kernel regime;
- :func:`learning_time`, :func:`fit_exponent`: when a curve first falls below a level; log–log fits.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from scipy import ndimage, spatial

from ntk_freq._util import validation as v
from ntk_freq._util.precision import float64
from ntk_freq.data._fourier import fourier_transform, frequency_grid
from ntk_freq.training._regime import LazyRegimeWarning, regime_probe
from ntk_freq.kernels._operator import KernelOperator

# --- input checks -----------------------------------------------------------------------------


def _inputs(x) -> np.ndarray:
    """Inputs as (N, d) float64; (N,) is read as N scalar inputs."""
    x = v.finite_array("x", x)
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"x must be N >= 2 inputs of shape (N, d) (or (N,) in 1-D), got shape {x.shape}")
    if not np.all(np.isfinite(np.ptp(x, axis=0))) or np.max(np.abs(x)) > v.SCALE_RANGE[1]:
        raise ValueError(f"the inputs x reach {np.max(np.abs(x)):.3g}, beyond ±{v.SCALE_RANGE[1]:g}: "
                         "their spans and frequencies overflow float64; rescale them")
    return x


def _snapshots(name: str, values, point_shape: tuple) -> np.ndarray:
    """Values at T snapshot times, shape (T, *point_shape) (e.g. (T, N) or (T, N, C)); a single
    snapshot of shape ``point_shape`` gets a leading axis. NaNs are reported with the snapshot
    holding them."""
    a = np.asarray(values, dtype=np.float64)
    if a.shape == tuple(point_shape):
        a = a[None]
    if a.shape[1:] != tuple(point_shape):
        want = ", ".join(["T", *map(str, point_shape)])
        raise ValueError(f"{name} has shape {np.shape(values)}; expected ({want}): one value per "
                         "input point (and output) at each of T snapshots")
    bad = ~np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    if bad.any():
        raise ValueError(f"{name} holds NaN or infinite values in snapshot(s) "
                         f"{np.flatnonzero(bad)[:8].tolist()}; every snapshot must be finite "
                         "(did training diverge?)")
    return a


def _targets(y, n: int, vector_ok: bool = False) -> np.ndarray:
    y = v.finite_array("y", y)
    if y.shape[:1] != (n,) or y.ndim > (2 if vector_ok else 1):
        want = "(N,) or (N, C)" if vector_ok else "(N,)"
        raise ValueError(f"y has shape {y.shape}; expected {want} with N = {n}, one target per input")
    return y


# --- Δ_F at the target's spectral peaks ------------------------------------------------------


def spectral_peaks(y, x, xi_max: float, *, n_peaks: int = 5, n_xi: int | None = None,
                   rel_height: float = 0.05, include_zero: bool = False,
                   order: str = "height") -> np.ndarray:
    """The angular frequencies ξ of the ``n_peaks`` largest local maxima of |ŷ(ξ)| (the target's
    spectral peaks), shape (n_peaks', d) with n_peaks' ≤ ``n_peaks``, in the ``order`` asked
    for: "height" (strongest first; the default) or "frequency" (|ξ| ascending). Which peaks are
    kept never depends on the order: always the strongest.

    The peaks are searched in |F[w y]|, the transform of y tapered by the Hann window
    w(x) = Π_i sin²(π(x_i − a_i)/(b_i − a_i)) over the data's bounding box Π [a_i, b_i]: without
    it the side lobes of each component of a finite sample shift the others' peaks by a fraction
    of 2π/L and add spurious ones. |F[w y]| is evaluated by
    :func:`ntk_freq.data.fourier_transform` on a uniform ξ grid of
    [−ξ_max, ξ_max]^d with ``n_xi`` nodes per axis (default: 8 nodes per 2π/L, L the data's
    extent, so that a peak of width ~2π/L is resolved); only the half space whose first nonzero
    coordinate is positive is searched (ŷ(−ξ) = conj ŷ(ξ) for a real target). Peaks below
    ``rel_height`` × the largest are dropped, as is ξ = 0 unless ``include_zero``."""
    x = _inputs(x)
    y = _targets(y, x.shape[0])
    xi_max = v.positive("xi_max", xi_max)
    n_peaks = v.positive_int("n_peaks", n_peaks)
    v.choice("order", order, ("height", "frequency"))
    extent = float(np.max(np.ptp(x, axis=0)))
    if n_xi is None:
        n_xi = 2 * int(math.ceil(8 * xi_max * extent / (2 * np.pi))) + 1
    n_xi = v.positive_int("n_xi", n_xi)
    d = x.shape[1]
    v.fits_in_memory("the |ŷ(ξ)| grid of spectral_peaks", 16.0 * n_xi**d * 3)
    xi = frequency_grid(xi_max, n_xi, d)
    lo, width = x.min(axis=0), np.ptp(x, axis=0)
    hann = np.prod(np.sin(np.pi * (x - lo) / np.where(width > 0, width, 1.0)) ** 2, axis=1)
    amp = np.abs(fourier_transform(hann * y, x, xi, cell_volume=1.0))
    is_max = (amp == ndimage.maximum_filter(amp, size=3, mode="nearest")) & (amp > rel_height * amp.max())
    flat_xi, flat_max, flat_amp = xi.reshape(-1, d), is_max.ravel(), amp.ravel()
    first = np.array([row[np.flatnonzero(row)[0]] if row.any() else 0.0 for row in flat_xi])
    zero = ~flat_xi.any(axis=1)
    keep = flat_max & ((first > 0) | (zero & include_zero))
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(flat_amp[idx])[::-1]][:n_peaks]
    if order == "frequency":
        idx = idx[np.argsort(np.linalg.norm(flat_xi[idx], axis=1), kind="stable")]
    return flat_xi[idx]


def delta_f(predictions, y, x, *, xi) -> np.ndarray:
    """Xu et al.'s relative error per frequency, Δ_F(ξ, t) = |ĥ_t(ξ) − ŷ(ξ)| / |ŷ(ξ)|, shape (T, K).

    predictions: network outputs h_t(x_i) at T snapshots, shape (T, N) (or (N,)); y: targets
    (N,); x: inputs (N, d) (or (N,)), any layout (the transforms share their weights, so the
    cell volume cancels); xi: K angular frequencies, shape (K, d) (or (K,) in 1-D), e.g. from
    :func:`spectral_peaks`. Δ_F = 1 means nothing of that frequency is learned, 0 all of it."""
    x = _inputs(x)
    y = _targets(y, x.shape[0])
    h = _snapshots("predictions", predictions, y.shape)
    xi = v.point_list("xi", xi, x.shape[1])
    y_hat = fourier_transform(y, x, xi, cell_volume=1.0)
    small = np.abs(y_hat) <= 1e-12 * max(np.abs(y).sum(), 1e-300)
    if small.any():
        raise ValueError(f"ŷ(ξ) vanishes at xi = {xi[small][0].tolist()}: Δ_F is undefined there; "
                         "use the target's spectral peaks (spectral_peaks)")
    err_hat = fourier_transform(h - y, x, xi, cell_volume=1.0)
    return np.abs(err_hat) / np.abs(y_hat)


# --- the filtering method --------------------------------------------------------------------


def data_scale(x) -> tuple[float, float]:
    """(median nearest-neighbour distance, diameter) of the inputs: the range of filter widths δ
    over which a Gaussian filter over the samples neither is the identity nor averages everything."""
    return _scale_from_squared(_squared_distances(_inputs(x)))


def _squared_distances(x: np.ndarray) -> np.ndarray:
    return spatial.distance.squareform(spatial.distance.pdist(x, "sqeuclidean"))


def _scale_from_squared(sq: np.ndarray) -> tuple[float, float]:
    off = sq + np.diag(np.full(sq.shape[0], np.inf))
    return float(np.sqrt(np.median(off.min(axis=1)))), float(np.sqrt(sq.max()))


def check_filter_width(delta: float, nn: float, diameter: float) -> float:
    """δ if it lies in [nn/4, diameter] (see :func:`gaussian_filter_weights`); ValueError otherwise."""
    delta = v.positive("delta", delta)
    if not nn / 4 <= delta <= diameter:
        raise ValueError(
            f"delta = {delta!r} is outside the data's scale [{nn / 4:.4g}, {diameter:.4g}] (a quarter "
            f"of the median nearest-neighbour distance {nn:.4g}, up to the diameter of the inputs): "
            "below it the filter leaves every sample alone, above it it averages all samples alike"
        )
    return delta


def gaussian_filter_weights(x, delta: float) -> np.ndarray:
    """Row-normalised Gaussian weights G_ij = exp(−|x_i − x_j|²/(2δ²)) / Σ_j exp(−|x_i − x_j|²/(2δ²)),
    shape (N, N): the low-pass filter over the samples of the filtering method. δ must lie in
    [m/4, D] for m the median nearest-neighbour distance and D the diameter of the data; a
    smaller δ leaves every point alone (neighbour weights below e^{−8}), a larger one averages all
    points alike."""
    x = _inputs(x)
    v.fits_in_memory(f"the {x.shape[0]} x {x.shape[0]} filter matrix", 8.0 * 3 * x.shape[0] ** 2)
    sq = _squared_distances(x)
    delta = check_filter_width(delta, *_scale_from_squared(sq))
    G = np.exp(-sq / (2 * delta**2))
    return G / G.sum(axis=1, keepdims=True)


def low_pass(values, x, delta: float) -> np.ndarray:
    """The low-frequency part of sampled values, (G f)_i = Σ_j G_ij f(x_j) with the weights of
    :func:`gaussian_filter_weights`; values of shape (N,) or (N, C)."""
    x = _inputs(x)
    f = _targets(values, x.shape[0], vector_ok=True)
    return gaussian_filter_weights(x, delta) @ f


@dataclass(frozen=True)
class FilteredErrors:
    """The filtering method over training: relative errors of the low- and high-frequency parts,
    e_low(t) = ‖y^low − h_t^low‖/‖y^low‖ and e_high(t) = ‖y^high − h_t^high‖/‖y^high‖, shape (T,),
    for the filter width ``delta``; ``high_fraction`` = ‖y^high‖/‖y‖."""

    delta: float
    e_low: np.ndarray
    e_high: np.ndarray
    high_fraction: float


def filtered_errors(predictions, y, x, *, delta: float) -> FilteredErrors:
    """Xu et al.'s filtering method: split target y and predictions h_t into a low-frequency part
    f^low = G f (:func:`low_pass`, Gaussian of width δ over the samples) and a high-frequency part
    f^high = f − f^low, and return the relative error of each part at every snapshot.

    predictions: (T, N) or (T, N, C) (e.g. C one-hot outputs of a classifier); y: (N,) or (N, C);
    x: inputs (N, d). Under the F-principle e_low falls first."""
    x = _inputs(x)
    y = _targets(y, x.shape[0], vector_ok=True)
    h = _snapshots("predictions", predictions, y.shape).reshape(-1, x.shape[0], y[0].size)
    y2 = y.reshape(x.shape[0], -1)
    G = gaussian_filter_weights(x, delta)
    y_low = G @ y2
    T, N, C = h.shape   # one (N × N) @ (N × TC) product for all snapshots
    h_low = (G @ h.transpose(1, 0, 2).reshape(N, T * C)).reshape(N, T, C).transpose(1, 0, 2)
    y_high, h_high = y2 - y_low, h - h_low
    norm_low, norm_high = np.linalg.norm(y_low), np.linalg.norm(y_high)
    if norm_low == 0 or norm_high == 0:
        raise ValueError("the target has no low- (or no high-) frequency part at this delta; "
                         "choose another delta")
    e_low = np.linalg.norm(h_low - y_low, axis=(1, 2)) / norm_low
    e_high = np.linalg.norm(h_high - y_high, axis=(1, 2)) / norm_high
    return FilteredErrors(float(delta), e_low, e_high, float(norm_high / np.linalg.norm(y2)))


# --- interpolation spectra -------------------------------------------------------------------


def path_power_spectrum(outputs) -> np.ndarray:
    """One-sided power spectrum of outputs sampled along straight paths s_j = j/(n−1),
    j = 0…n−1, from one input (s = 0) to another (s = 1).

    outputs: shape (P, n) or (P, n, C) for P paths (C outputs are summed over). The straight line
    through the two end values is subtracted first, so that the remaining signal g vanishes at
    both ends and its periodic extension has no jump; the last sample (= the first) is dropped
    and the discrete Fourier coefficients c_k = (1/M) Σ_j g_j e^{−2πijk/M}, M = n − 1, give the
    power S_k = 2|c_k|² (|c_k|² at k = 0 and at k = M/2), k = 0 … ⌊M/2⌋ cycles per path. By
    Parseval Σ_k S_k is the mean square of g; g = sin(2πks) gives S_k = 1/2. Returns (P, ⌊M/2⌋+1)."""
    a = v.finite_array("outputs", outputs)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[1] < 5:
        raise ValueError(f"outputs must have shape (P, n) or (P, n, C) with n >= 5 samples per path, "
                         f"got {np.shape(outputs)}")
    n = a.shape[1]
    s = np.linspace(0.0, 1.0, n)[None, :, None]
    g = a - (a[:, :1] + s * (a[:, -1:] - a[:, :1]))
    M = n - 1
    c = np.fft.rfft(g[:, :M], axis=1) / M
    power = 2 * np.abs(c) ** 2
    power[:, 0] /= 2
    if M % 2 == 0:
        power[:, -1] /= 2
    return power.sum(axis=2)


@dataclass(frozen=True)
class InterpolationSpectra:
    """Mean power spectra along paths between training inputs (:func:`path_power_spectrum`).

    k: frequencies in cycles per path, shape (K,); within / across: mean power over the paths
    joining two inputs of the same / of different classes, shape (K,); bands: (lo, hi) edges in
    cycles per path; band_power[kind]: the mean power in each band [lo, hi) (summed over its k),
    shape (n_bands,); n_pairs: paths per kind."""

    k: np.ndarray
    within: np.ndarray
    across: np.ndarray
    bands: tuple
    band_power: dict
    n_pairs: int


def class_pairs(labels, n_pairs: int, seed: int = 0) -> dict:
    """``n_pairs`` random index pairs (i, j), i ≠ j, of inputs with equal labels ("within", the
    class drawn uniformly) and with different labels ("across"), each of shape (n_pairs, 2).
    Every class must hold at least two examples, and there must be at least two classes."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size < 4:
        raise ValueError(f"labels must be a 1-D array of at least 4 class labels, got shape {labels.shape}")
    classes, counts = np.unique(labels, return_counts=True)
    if classes.size < 2:
        raise ValueError(f"labels hold a single class ({classes[0]!r}); across-class paths need two")
    if counts.min() < 2:
        few = classes[counts < 2].tolist()
        raise ValueError(f"class(es) {few[:8]} have fewer than 2 examples; within-class paths need "
                         "two examples of every class (drop those classes or add examples)")
    n_pairs = v.positive_int("n_pairs", n_pairs)
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(labels == c) for c in classes]
    within = np.array([rng.choice(members[c], 2, replace=False) for c in rng.integers(0, classes.size, n_pairs)])
    across = []
    while len(across) < n_pairs:
        i, j = rng.integers(0, labels.size, 2)
        if labels[i] != labels[j]:
            across.append((i, j))
    return {"within": within, "across": np.array(across)}


@float64
def interpolation_spectra(apply_fn: Callable, params, x, *, labels, n_pairs: int = 100,
                          n_points: int = 129, bands=((1, 4), (4, 16), (16, 65)),
                          seed: int = 0, batch: int = 8192) -> InterpolationSpectra:
    """Fridovich-Keil et al.'s interpolation spectra: the output of ``apply_fn(params, ·)`` along
    the straight paths x(s) = (1 − s) x_i + s x_j (``n_points`` samples, s ∈ [0, 1]) between
    random pairs of training inputs of the same class and of different classes
    (:func:`class_pairs` with ``seed``), its power spectrum per path (:func:`path_power_spectrum`) averaged
    over paths, and the mean power in each frequency band [lo, hi) (cycles per path; the top
    edge is clipped at the Nyquist index (n_points − 1)/2). Network calls are made ``batch``
    points at a time."""
    x = _inputs(x)
    labels = np.asarray(labels)
    if labels.shape != (x.shape[0],):
        raise ValueError(f"labels has shape {labels.shape}; expected ({x.shape[0]},), one per input")
    n_points = v.positive_int("n_points", n_points)
    if n_points < 9:
        raise ValueError(f"n_points must be >= 9 samples per path, got {n_points}")
    bands = tuple((float(lo), float(hi)) for lo, hi in bands)
    if any(not 0 <= lo < hi for lo, hi in bands):
        raise ValueError(f"bands must be (lo, hi) pairs with 0 <= lo < hi, got {bands}")
    pairs = class_pairs(labels, n_pairs, seed)
    v.fits_in_memory("the interpolation paths", 8.0 * 2 * n_pairs * n_points * x.shape[1] * 2)
    s = np.linspace(0.0, 1.0, n_points)[None, :, None]
    k = np.arange((n_points - 1) // 2 + 1)
    mean = {}
    for kind, ij in pairs.items():
        paths = (1 - s) * x[ij[:, 0]][:, None, :] + s * x[ij[:, 1]][:, None, :]
        flat = paths.reshape(-1, x.shape[1])
        out = np.concatenate([np.asarray(apply_fn(params, jnp.asarray(flat[i:i + batch])))
                              for i in range(0, flat.shape[0], batch)])
        mean[kind] = path_power_spectrum(out.reshape(len(ij), n_points, -1)).mean(axis=0)
    band_power = {kind: np.array([p[(k >= lo) & (k < hi)].sum() for lo, hi in bands])
                  for kind, p in mean.items()}
    return InterpolationSpectra(k, mean["within"], mean["across"], bands, band_power, n_pairs)


# --- the empirical NTK and its eigenmodes ----------------------------------------------------


@dataclass(frozen=True)
class NTKModes:
    """Θ(X, X)/N's eigenvalues ``lam`` (descending) and eigenvectors ``V`` (columns), with the
    target's energy fraction on each, ``projection`` = (V_kᵀ y)²/‖y‖² (sums to 1)."""

    lam: np.ndarray
    V: np.ndarray
    projection: np.ndarray

    def energy_within(self, n_modes: int) -> float:
        """The fraction of the target's energy on the ``n_modes`` largest-eigenvalue modes."""
        return float(self.projection[:n_modes].sum())


def ntk_modes(theta_gram, y) -> NTKModes:
    """Eigenmodes of Θ(X, X)/N (:class:`ntk_freq.kernels.KernelOperator`) and the projection of
    the target y (shape (N,)) on them: the learning rates the kernel gives each part of y."""
    op = KernelOperator.from_gram(theta_gram)
    y = _targets(y, op.V.shape[0])
    c = op.V.T @ y
    return NTKModes(op.lam, op.V, c**2 / np.sum(c**2))


@dataclass(frozen=True)
class ModeCurves:
    """Per-eigenmode learning curves: coefficients of the error on Θ_0's eigenvectors, measured
    from the snapshots and predicted by the kernel, shape (T, N) each; ``lam`` as in
    :class:`NTKModes`. ``remaining_measured`` / ``remaining_predicted``: |c_k(t)|/|c_k(0)|."""

    times: np.ndarray
    lam: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray

    @property
    def remaining_measured(self) -> np.ndarray:
        return _ratio(self.measured, self.measured[0])

    @property
    def remaining_predicted(self) -> np.ndarray:
        return _ratio(self.predicted, self.measured[0])


def _ratio(a, b) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(b) > 0, np.abs(a) / np.abs(b), np.nan)


def mode_learning_curves(theta_gram, errors, times, *, eta: float | None = None) -> ModeCurves:
    """Measured and predicted learning curves of every eigenmode of Θ(X, X)/N.

    errors: the error u_t = f_t(X) − y at the snapshots, shape (T, N), the first at t = 0;
    times: flow times t = η · step, shape (T,). Predicted: the kernel flow e^{−λ_k t} c_k(0)
    (or, given the gradient-descent step ``eta``, the exact linear map (1 − ηλ_k)^{t/η} c_k(0));
    measured: c_k(t) = V_kᵀ u_t."""
    op = KernelOperator.from_gram(theta_gram)
    u = _snapshots("errors", errors, (op.V.shape[0],))
    t = v.finite_array("times", times).reshape(-1)
    if t.shape != (u.shape[0],):
        raise ValueError(f"times has {t.size} entries but errors has {u.shape[0]} snapshots")
    if t[0] != 0:
        raise ValueError(f"the first snapshot must be at t = 0 (the initial error), got t = {t[0]}")
    u_pred = op.flow(u[0], t) if eta is None else op.gd(u[0], eta, np.rint(t / eta).astype(int))
    return ModeCurves(t, op.lam, u @ op.V, u_pred @ op.V)


def kernel_predict(theta_test_train, theta_train_train, residual0, *, times) -> np.ndarray:
    """The kernel regime's change of the output at test points under gradient flow on the mean
    loss (1/2N) Σ (f − y)²:

        f_t(x*) − f_0(x*) = −Θ(x*, X) Θ(X, X)^{-1} (I − e^{−tΘ(X,X)/N}) u_0,

    with u_0 = f_0(X) − y the initial error on the N training points (−y for a network with
    f_0 ≡ 0). Computed on the eigenvectors of Θ/N, where (1 − e^{−λt})/(Nλ) → t/N as λ → 0, so a
    singular Gram matrix is fine. theta_test_train: (n*, N); theta_train_train: (N, N);
    residual0: (N,); times: (T,). Returns (T, n*)."""
    op = KernelOperator.from_gram(theta_train_train)
    N = op.V.shape[0]
    K = v.finite_array("theta_test_train", theta_test_train)
    if K.ndim != 2 or K.shape[1] != N:
        raise ValueError(f"theta_test_train has shape {K.shape}; expected (n_test, {N})")
    u0 = _targets(residual0, N)
    t = v.finite_array("times", times).reshape(-1)
    if np.any(t < 0):
        raise ValueError(f"times must be >= 0, got min {t.min()}")
    lt = np.outer(t, op.lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(lt > 1e-12, -np.expm1(-lt) / np.where(op.lam > 0, op.lam, 1.0), t[:, None])
    return -((gain * (op.V.T @ u0)) @ op.V.T @ K.T) / N


# --- the kernel (lazy) regime ----------------------------------------------------------------


@dataclass(frozen=True)
class KernelRegime:
    """Kernel-regime diagnostics at each snapshot, shape (T,):

    ntk_change: ‖Θ_t − Θ_0‖_F / ‖Θ_0‖_F on the inputs; param_distance: ‖θ_t − θ_0‖/‖θ_0‖;
    linearisation_gap: ‖f(θ_t) − f_lin(θ_t)‖/‖f(θ_t) − f(θ_0)‖ with f_lin(θ) = f(θ_0) +
    J_0 (θ − θ_0) (the first-order Taylor model at the same parameters; 0 before any change);
    flow_gap: ‖u_t − e^{−tΘ_0/N} u_0‖/‖u_0‖, the trained error against the kernel flow of the
    initial NTK (None unless targets and times are given); worst: the largest value of the NTK
    change, the linearisation gap and the flow gap; matches_kernel: worst ≤ threshold (the run
    follows its initial kernel on every diagnostic; the margin is threshold − worst). Not to be
    confused with :attr:`ntk_freq.training.RegimeTrace.ntk_static`, which tests the NTK change
    alone."""

    ntk_change: np.ndarray
    param_distance: np.ndarray
    linearisation_gap: np.ndarray
    flow_gap: np.ndarray | None
    threshold: float
    worst: float

    @property
    def matches_kernel(self) -> bool:
        """Whether every diagnostic stayed at or below the threshold."""
        return bool(self.worst <= self.threshold)


@float64
def kernel_regime(apply_fn: Callable, snapshots: Sequence, x, *, y=None, times=None,
                  threshold: float = 0.1, warn: bool = True) -> KernelRegime:
    """Is a run in the kernel regime? ``snapshots``: the parameters at T ≥ 2 times, the first
    the initialisation; x: the training inputs (N, d). With targets ``y`` (N,) and flow times
    ``times`` (T,) (t = η·step of gradient descent on the mean squared loss), the gap to the
    kernel flow is measured too. Emits :class:`LazyRegimeWarning` (if ``warn``) when the largest
    value of any diagnostic exceeds ``threshold``. See :class:`KernelRegime`."""
    x = _inputs(x)
    threshold = v.positive("threshold", threshold)
    snapshots = list(snapshots)
    if len(snapshots) < 2:
        raise ValueError(f"snapshots must hold >= 2 parameter sets (the initial one first), got {len(snapshots)}")
    structure = jax.tree_util.tree_structure(snapshots[0])
    for i, p in enumerate(snapshots):
        if jax.tree_util.tree_structure(p) != structure:
            raise ValueError(f"snapshot {i} has another parameter structure than snapshot 0")
        if not all(bool(jnp.all(jnp.isfinite(a))) for a in jax.tree_util.tree_leaves(p)):
            raise ValueError(f"snapshot {i} holds NaN or infinite parameters (did training diverge?)")
    xj = jnp.asarray(x)
    probe = regime_probe(apply_fn, snapshots[0], xj, points=x.shape[0], max_bytes=math.inf)
    ntk, _, dist, lin = np.array([probe(p) for p in snapshots]).T
    f0 = np.asarray(apply_fn(snapshots[0], xj), dtype=np.float64)
    flow_gap = None
    if y is not None or times is not None:
        if y is None or times is None:
            raise ValueError("pass both y and times to measure the gap to the kernel flow")
        y = _targets(y, x.shape[0])
        t = v.increasing_times("times", times)
        if t.size != len(snapshots):
            raise ValueError(f"times has {t.size} entries but there are {len(snapshots)} snapshots")
        if f0.ndim != 1:
            raise ValueError("the kernel-flow gap needs a scalar output per input")
        u = np.stack([np.asarray(apply_fn(p, xj), dtype=np.float64) for p in snapshots]) - y
        flow = KernelOperator.from_gram(probe.theta_0_gram).flow(u[0], t)
        flow_gap = np.linalg.norm(u - flow, axis=1) / np.linalg.norm(u[0])
    worst = float(max(max(ntk), max(lin), 0.0 if flow_gap is None else float(flow_gap.max())))
    if warn and worst > threshold:
        warnings.warn(
            f"the run left the kernel regime: max ‖Θ_t − Θ_0‖/‖Θ_0‖ = {max(ntk):.3g}, "
            f"linearisation gap {max(lin):.3g}"
            + ("" if flow_gap is None else f", gap to the kernel flow {flow_gap.max():.3g}")
            + f" (threshold {threshold:g}); kernel predictions do not describe it",
            LazyRegimeWarning, stacklevel=3)  # past the float64 scope's frame
    return KernelRegime(ntk, dist, lin, flow_gap, threshold, worst)


# --- learning times and exponents ------------------------------------------------------------


def learning_time(times, remaining, level: float = 0.5) -> np.ndarray:
    """The first time each curve of ``remaining`` (shape (T,) or (T, K), e.g. Δ_F or
    |c_k(t)|/|c_k(0)|) falls to ``level``, interpolated linearly in log(remaining) between the
    snapshots around the crossing; inf where it never does. Returns shape () or (K,)."""
    t = v.increasing_times("times", times)
    r = v.finite_array("remaining", remaining)
    if r.ndim not in (1, 2):
        raise ValueError(f"remaining must have shape (T,) or (T, K), got {r.shape}")
    squeeze = r.ndim == 1
    r = r[:, None] if squeeze else r
    if r.shape[0] != t.size:
        raise ValueError(f"remaining has {r.shape[0]} rows but times has {t.size} entries")
    level = v.positive("level", level)
    out = np.full(r.shape[1], np.inf)
    for k in range(r.shape[1]):
        below = np.flatnonzero(r[:, k] <= level)
        if below.size == 0:
            continue
        j = below[0]
        if j == 0:
            out[k] = t[0]
            continue
        a, b = np.log(max(r[j - 1, k], 1e-300)), np.log(max(r[j, k], 1e-300))
        out[k] = t[j - 1] + (t[j] - t[j - 1]) * (a - np.log(level)) / (a - b) if a != b else t[j]
    return out[0] if squeeze else out


def fit_exponent(k, values) -> float:
    """The slope p of log(values) against log(k) by least squares (values ≈ C k^p)."""
    k = v.finite_array("k", k).reshape(-1)
    values = v.finite_array("values", values).reshape(-1)
    if k.shape != values.shape or k.size < 2 or np.any(k <= 0) or np.any(values <= 0):
        raise ValueError("fit_exponent needs >= 2 positive (k, value) pairs of equal length")
    return float(np.polyfit(np.log(k), np.log(values), 1)[0])
