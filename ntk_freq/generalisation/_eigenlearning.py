"""The eigenlearning theory of kernel regression's test error (docs/generalisation.md).

Kernel (ridge) regression f = Θ(x, X)(Θ(X, X) + δI)⁻¹ y on n samples of a density p, with the
kernel's eigenvalues λ_i under p (multiplicity m_i) and the target's power P_i in each eigenspace
(P_i = Σ over the m_i copies of v², v the target's coefficients), is predicted by
(Bordelon, Canatar & Pehlevan 2020; Simon et al. 2021; Jacot et al. 2020):

    κ solves      Σ_i m_i λ_i/(λ_i + κ) + δ/κ = n
    L_i =         λ_i/(λ_i + κ)                          learnability of mode i
    E_0 =         n/(n − Σ_i m_i L_i²)
    E_test =      E_0 (Σ_i (1 − L_i)² P_i + σ²)          against noisy test labels y + ε
    E_i =         (1 − L_i)² P_i + m_i L_i² E_test/n     the error in eigenspace i
    E_train =     (δ/(nκ))² E_test

E_test tends to σ² (the label noise's variance) as n grows; the error against the clean target is
E_test − σ² = Σ_i E_i. It is a Gaussian-design ("omniscient") approximation: accurate in high
dimension and at small n, badly optimistic in low dimension at intermediate n (docs/generalisation.md),
so :func:`ntk_freq.generalisation.learning_curve` shows it beside Monte-Carlo kernel regression.
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ntk_freq._util import validation as v

#: Eigenvalues below RANK_RTOL · (number of modes) · λ_max are the numerical null space of a
#: float64 Gram matrix (as numpy's matrix_rank): counted as λ = 0, never learned.
RANK_RTOL = float(np.finfo(np.float64).eps)
#: A truncated spectrum is reported (TruncatedSpectrumWarning) when the eigenvalue mass it misses
#: could add more than this fraction of n to the κ equation.
TAIL_DOF_TOL = 0.01
#: Folding the missing mass in as a ridge assumes the missing eigenvalues are below TAIL_KAPPA · κ.
TAIL_KAPPA = 0.1
#: Power-law tails λ ∝ i^(−a) with a ≤ 1 (fitted on the last half of ≥ TAIL_MODES modes) do
#: not sum: the kernel is not trace class.
TAIL_MODES = 16


class TruncatedSpectrumWarning(UserWarning):
    """The spectrum given stops where its missing modes still matter for κ."""


class UnlearnableTargetWarning(UserWarning):
    """Part of the target lies in modes the kernel cannot learn (λ = 0): no n learns it."""


#: Share of the target's power in modes with λ = 0 above which UnlearnableTargetWarning warns.
UNLEARNABLE_TOL = 1e-3


@dataclass(frozen=True)
class Eigenlearning:
    """The theory's prediction at each sample size (module docstring for the formulas).

    Attributes:
        n: (S,) sample sizes.
        eigenvalues, multiplicity, target_power: (M,) the spectrum as used (λ_i below the rank
            tolerance set to 0).
        kappa: (S,) κ, the effective regularisation (0 where ridgeless regression interpolates
            every mode: n ≥ Σ m_i over λ_i > 0).
        learnability: (S, M) L_i.
        e0: (S,) the overfitting coefficient E_0 (∞ at the interpolation threshold n = Σ m_i).
        test_error: (S,) E_test against noisy test labels (tends to σ²).
        mode_error: (S, M) E_i, the error in each eigenspace against the clean target.
        train_error: (S,) the training error (1/n) Σ (f(x_j) − y_j)².
        noise: σ².
        missing_mass: the eigenvalue mass Σ m_i λ_i the spectrum misses (``trace`` − Σ m_i λ_i;
            NaN when no trace was given), missing_power: the target power it misses
            (``target_norm`` − Σ P_i; NaN without it).
        tail_dof: (S,) what the missing mass adds to the κ equation when its modes lie far below κ
            (missing_mass/κ; the most it can add).
    """

    n: np.ndarray
    eigenvalues: np.ndarray
    multiplicity: np.ndarray
    target_power: np.ndarray
    kappa: np.ndarray
    learnability: np.ndarray
    e0: np.ndarray
    test_error: np.ndarray
    mode_error: np.ndarray
    train_error: np.ndarray
    noise: float
    missing_mass: float
    missing_power: float
    tail_dof: np.ndarray

    @property
    def clean_test_error(self) -> np.ndarray:
        """(S,) the error against the clean target, E_test − σ² (= Σ_i E_i plus the target
        power of a missing tail, which stays unlearned)."""
        return self.test_error - self.noise


def _spectrum(eigenvalues, target_power, multiplicity) -> tuple:
    lam = v.finite_array("eigenvalues", eigenvalues).reshape(-1)
    if lam.size == 0:
        raise ValueError("eigenvalues is empty; give the kernel's eigenvalues under the data density")
    if np.any(lam < 0):
        raise ValueError(f"eigenvalues must be >= 0 (a kernel is positive semi-definite), got "
                         f"min {lam.min():.3g}")
    P = v.finite_array("target_power", target_power).reshape(-1)
    if P.shape != lam.shape:
        raise ValueError(f"target_power has {P.size} entries but eigenvalues has {lam.size}; give "
                         "the target's power in each eigenspace")
    if np.any(P < 0):
        raise ValueError(f"target_power must be >= 0 (squared coefficients), got min {P.min():.3g}")
    m = np.broadcast_to(np.asarray(multiplicity), lam.shape)
    if not np.issubdtype(m.dtype, np.integer) or np.any(m < 1):
        raise ValueError(f"multiplicity must be integers >= 1 (one or one per eigenvalue), got {multiplicity!r}")
    m = m.astype(np.int64)
    if not np.isfinite(np.sum(m * lam)):
        raise ValueError("the eigenvalues' sum Σ m_i λ_i overflows float64; rescale the kernel")
    lam = np.where(lam < RANK_RTOL * m.sum() * lam.max(), 0.0, lam)
    return lam, P, m


def _check_summable(lam: np.ndarray, m: np.ndarray) -> None:
    """Refuse a spectrum whose tail decays like i^(−a), a ≤ 1: it has no finite trace, so no
    truncation of it gives κ (the missing modes would dominate the κ equation)."""
    order = np.argsort(lam)[::-1]
    lam_sorted, index = lam[order], np.cumsum(m[order])
    positive = lam_sorted > 0
    if positive.sum() < TAIL_MODES:
        return
    lam_sorted, index = lam_sorted[positive], index[positive]
    tail = slice(lam_sorted.size // 2, None)
    spread = np.log(index[tail][-1] / index[tail][0])
    if spread < math.log(1.5):
        return
    a = -np.polyfit(np.log(index[tail]), np.log(lam_sorted[tail]), 1)[0]
    if 0.05 < a <= 1.0:
        raise ValueError(
            f"the spectrum's tail decays like i^(-{a:.2f}): with exponent <= 1 the eigenvalues do not "
            "sum (no finite trace), so the theory has no κ. A kernel's spectrum under a probability "
            "density must sum; if this is a finite-rank kernel given in full, pass trace=Σ m λ")


def _kappa(lam: np.ndarray, m: np.ndarray, n: float, ridge: float) -> float:
    """κ > 0 solving Σ m λ/(λ + κ) + δ/κ = n (log-space root, relative accuracy 1e-13), or 0
    when δ = 0 and n ≥ the number of modes with λ > 0 (ridgeless interpolation)."""
    dof = float(m[lam > 0].sum())
    if ridge < n * sys.float_info.min:  # below float64's normal range next to any κ: ridgeless
        ridge = 0.0
    if ridge == 0 and n >= dof:
        return 0.0

    def excess(log_k: float) -> float:
        k = math.exp(log_k)
        return float(np.sum(m * lam / (lam + k))) + ridge / k - n

    hi = (float(np.sum(m * lam)) + ridge) / n  # excess(hi) <= 0
    if ridge > 0:
        lo = ridge / n  # excess(lo) >= 0
    else:
        lo = lam[lam > 0].min() * (dof - n) / (2 * n)  # the dof modes alone exceed n there
    if lo >= hi:
        return hi
    return math.exp(optimize.brentq(excess, math.log(lo), math.log(hi), xtol=1e-13, rtol=1e-15))


def eigenlearning(eigenvalues, target_power, n, *, multiplicity=1, ridge: float = 0.0,
                  noise: float = 0.0, trace: float | None = None,
                  target_norm: float | None = None, tail: str = "ridge") -> Eigenlearning:
    """The eigenlearning prediction of kernel regression's test error from a spectrum.

    For a spectrum you bring: the kernel's eigenvalues under the data density and the target's
    power in each eigenspace. Ridge δ is in Gram units, f = Θ(x, X)(Θ(X, X) + δI)⁻¹ y; noise σ²
    is the variance of the label noise ε in y = f*(x) + ε (module docstring for the formulas).

    Args:
        eigenvalues: (M,) λ_i ≥ 0 of the kernel's integral operator under the data density
            (T g)(x) = ∫ Θ(x, x') g(x') p(x') dx'.
        target_power: (M,) P_i ≥ 0, the target's squared coefficients summed over eigenspace i.
        n: sample sizes (scalar or 1-D, each ≥ 1).
        multiplicity: m_i, one integer or one per eigenvalue (2 for a cos/sin pair).
        ridge: δ ≥ 0. δ = 0 is the ridgeless limit: κ > 0 while n is below the number of modes
            with λ > 0, and κ = 0 (every mode learned, E_0 = n/(n − Σ m_i)) from there on.
        noise: σ² ≥ 0.
        trace: the kernel's trace Σ_all m_i λ_i = ∫ Θ(x, x) p(x) dx, if known: the mass the
            given modes miss is reported, and a TruncatedSpectrumWarning says where it could move
            κ by more than 1 % of n.
        target_norm: ∫ f*² p dx, if known: the target power the given modes miss is reported.
        tail: what the missing modes do. "ridge" (default): they are taken to lie far below κ,
            where each adds λ/κ to the κ equation and is never learned, so the missing
            eigenvalue mass acts as a ridge (δ + missing mass) and the missing target power as
            unlearned error; a TruncatedSpectrumWarning says when the smallest given eigenvalue
            is not below κ/10 (the tail may not be that small). "ignore": the truncated spectrum
            as it is, with a warning where the missing mass could move κ by more than 1 % of n.

    Returns:
        :class:`Eigenlearning`.

    Raises:
        ValueError: n < 1, negative ridge or noise, negative or non-finite eigenvalues or powers,
            mismatched lengths, or a spectrum whose tail does not sum (λ ∝ i^(−a), a ≤ 1).

    Examples:
        >>> import numpy as np
        >>> from ntk_freq.generalisation import eigenlearning
        >>> r = eigenlearning([1.0, 0.5], [1.0, 0.0], n=4, noise=0.1)  # two modes, n ≥ 2: κ = 0
        >>> float(r.kappa[0]), float(r.e0[0]), round(float(r.test_error[0]), 12)
        (0.0, 2.0, 0.2)

    References:
        Bordelon, Canatar & Pehlevan (2020), Spectrum dependent learning curves in kernel
        regression and wide neural networks; Simon, Dickens, Karkada & DeWeese (2021), The
        eigenlearning framework. docs/generalisation.md.
    """
    lam, P, m = _spectrum(eigenvalues, target_power, multiplicity)
    ns = v.finite_array("n", n).reshape(-1)
    if ns.size == 0 or np.any(ns < 1):
        raise ValueError(f"n must be sample sizes >= 1, got {n!r}")
    ridge = v.nonnegative("ridge", ridge)
    sigma2 = v.nonnegative("noise", noise)
    missing_mass = math.nan
    if trace is None:
        _check_summable(lam, m)
    else:
        trace = v.nonnegative("trace", trace)
        missing_mass = trace - float(np.sum(m * lam))
        if missing_mass < -1e-9 * trace:
            raise ValueError(f"trace = {trace:.6g} is below the given eigenvalues' sum "
                             f"{np.sum(m * lam):.6g}; it must be the sum over all modes")
        missing_mass = max(missing_mass, 0.0)
    missing_power = math.nan
    if target_norm is not None:
        target_norm = v.nonnegative("target_norm", target_norm)
        missing_power = max(target_norm - float(P.sum()), 0.0)

    null = float(P[lam == 0].sum())
    if null > UNLEARNABLE_TOL * max(float(P.sum()), 1e-300):
        warnings.warn(
            f"{null / P.sum():.1%} of the target's power lies in modes the kernel cannot learn "
            "(λ = 0), so no number of samples learns it (a bias-free ReLU NTK, for example, has "
            "λ = 0 for every odd degree ≥ 3 on the sphere: give the network a bias)",
            UnlearnableTargetWarning, stacklevel=2)
    v.choice("tail", tail, ("ridge", "ignore"))
    fold = tail == "ridge" and np.isfinite(missing_mass)
    tail_ridge = missing_mass if fold else 0.0
    tail_power = missing_power if tail == "ridge" and np.isfinite(missing_power) else 0.0
    kappa = np.array([_kappa(lam, m, float(k), ridge + tail_ridge) for k in ns])
    with np.errstate(divide="ignore", invalid="ignore"):
        L = np.where(lam > 0, lam / (lam + kappa[:, None]), 0.0)
        e0 = ns / (ns - (m * L**2).sum(axis=1))
        e0 = np.where(e0 < 0, np.inf, e0)  # n = Σ m_i exactly, in rounding: the threshold
        bias = ((1 - L) ** 2 * P).sum(axis=1) + tail_power
        test = np.where(bias + sigma2 > 0, e0 * (bias + sigma2), 0.0)
        modes = (1 - L) ** 2 * P + np.where(L > 0, m * L**2 * test[:, None] / ns[:, None], 0.0)
        train = np.where(ridge + tail_ridge > 0, ((ridge + tail_ridge) / (ns * kappa)) ** 2 * test, 0.0)
        tail_dof = missing_mass / kappa
    matters = np.isfinite(missing_mass) & (tail_dof > TAIL_DOF_TOL * ns)
    smallest = lam[lam > 0].min() if np.any(lam > 0) else 0.0
    if np.any(matters & (smallest > TAIL_KAPPA * kappa) if fold else matters):
        worst = int(np.argmax(np.where(matters, tail_dof / ns, -np.inf)))
        how = (f"folded in as a ridge, which assumes the missing modes lie far below κ = "
               f"{kappa[worst]:.3g}, but the smallest given eigenvalue is {smallest:.3g}" if fold
               else "ignored")
        warnings.warn(
            f"the spectrum misses eigenvalue mass {missing_mass:.3g}, which adds up to "
            f"{tail_dof[worst]:.3g} to the κ equation at n = {ns[worst]:g} (more than "
            f"{TAIL_DOF_TOL:.0%} of n); it was {how}: give more modes", TruncatedSpectrumWarning,
            stacklevel=2)
    return Eigenlearning(n=ns, eigenvalues=lam, multiplicity=m, target_power=P, kappa=kappa,
                         learnability=L, e0=e0, test_error=test, mode_error=modes,
                         train_error=train, noise=sigma2, missing_mass=missing_mass,
                         missing_power=missing_power, tail_dof=tail_dof)
