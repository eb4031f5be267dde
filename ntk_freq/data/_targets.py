"""Target functions y(x) for experiments, and the initial error of the frequency PDE.

A target is a callable ``y(x)`` on points of shape (..., d) returning shape (...), with an
attribute ``dim``; where the Fourier transform ŷ(ξ) = ∫ y(x) e^{−iξ·x} dx (docs/theory.md) has a closed
form, the target also has a method ``fourier(xi)``.

- :class:`WindowedSines`: y(x) = e^{−|x|²/(2w²)} Σ_k A_k sin(κ_k·x + φ_k), localised in x (so a
  finite data domain holds it) and in ξ (bumps of width 1/w at ±κ_k).
- :func:`load_target`: ``target(x)`` from the user's own Python file (imported as a module).
- :func:`target`: the short specs of the CLI (``TARGET_SPEC_HELP``).
- :func:`initial_error_hat`: û₀ = F[f₀ − y] = −ŷ for the doubling initialisation (f₀ ≡ 0).
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ntk_freq._util import validation as v
from ntk_freq.data._fourier import fourier_transform, midpoint_grid


@dataclass(frozen=True)
class WindowedSines:
    """y(x) = e^{−|x|²/(2w²)} Σ_k A_k sin(κ_k·x + φ_k) on R^d, with the closed-form transform

        ŷ(ξ) = (2π w²)^{d/2} Σ_k A_k [e^{iφ_k} G(ξ − κ_k) − e^{−iφ_k} G(ξ + κ_k)] / (2i),
        G(ζ) = e^{−w²|ζ|²/2}.

    frequencies: the κ_k, shape (K, d) (or (K,) in d = 1), angular; amplitudes A_k (default 1)
    and phases φ_k (default 0, radians) have K entries; width: the window w > 0. A zero
    frequency with phase π/2 is the plain Gaussian bump."""

    frequencies: tuple
    width: float = 1.0
    amplitudes: tuple | None = None
    phases: tuple | None = None
    dim: int = 1

    def __post_init__(self):
        dim = v.positive_int("dim", self.dim)
        kappa = v.points("frequencies", self.frequencies, dim).reshape(-1, dim)
        K = kappa.shape[0]
        amps = np.ones(K) if self.amplitudes is None else np.atleast_1d(
            v.finite_array("amplitudes", self.amplitudes))
        phases = np.zeros(K) if self.phases is None else np.atleast_1d(
            v.finite_array("phases", self.phases))
        if amps.shape != (K,) or phases.shape != (K,):
            raise ValueError(
                f"amplitudes and phases need one entry per frequency ({K}), got shapes "
                f"{amps.shape} and {phases.shape}"
            )
        object.__setattr__(self, "width", v.scale("width", self.width))
        object.__setattr__(self, "frequencies", tuple(map(tuple, kappa.tolist())))
        object.__setattr__(self, "amplitudes", tuple(amps.tolist()))
        object.__setattr__(self, "phases", tuple(phases.tolist()))

    def __call__(self, x) -> np.ndarray:
        """y(x) at points of shape (..., d); returns shape (...)."""
        return self._evaluate(v.points("x", x, self.dim), np)

    def traced(self, x):
        """y(x) at points of shape (..., d) as a JAX-traceable function (no checks), for
        derivatives of the target by autodiff (the sources s = L u* of operator losses)."""
        import jax.numpy as jnp

        return self._evaluate(x, jnp)

    def _evaluate(self, x, xp):
        kappa, A, phi = self._arrays()
        window = xp.exp(-0.5 * xp.sum(x**2, axis=-1) / self.width**2)
        return window * (xp.sin(x @ kappa.T + phi) @ A)

    def fourier(self, xi) -> np.ndarray:
        """The exact transform ŷ(ξ) (class docstring) at points of shape (..., d); complex."""
        xi = v.points("xi", xi, self.dim)
        kappa, A, phi = self._arrays()
        w2 = self.width**2

        def G(zeta):  # (..., K)
            return np.exp(-0.5 * w2 * np.sum(zeta**2, axis=-1))

        z = xi[..., None, :]
        terms = np.exp(1j * phi) * G(z - kappa) - np.exp(-1j * phi) * G(z + kappa)
        return (2 * math.pi * w2) ** (self.dim / 2) * (terms @ A) / 2j

    def extent(self, tol: float = 1e-12) -> float:
        """Radius beyond which the window e^{−|x|²/2w²} is below ``tol``: a data domain
        [−L, L]^d with L ≥ this holds the target up to ``tol``."""
        return self.width * math.sqrt(2 * math.log(1 / v.positive("tol", tol)))

    def _arrays(self):
        return np.asarray(self.frequencies), np.asarray(self.amplitudes), np.asarray(self.phases)


@dataclass(frozen=True, eq=False)
class FunctionTarget:
    """A target given by a Python function ``fn(x)`` mapping points (N, d) to values (N,); no
    closed-form transform (:func:`initial_error_hat` then uses quadrature)."""

    fn: object = field(repr=False)
    dim: int = 1
    name: str = "target"

    def __post_init__(self):
        if not callable(self.fn):
            raise TypeError(f"a target must be callable, got {self.fn!r}")
        v.positive_int("dim", self.dim)

    def __call__(self, x) -> np.ndarray:
        x = v.points("x", x, self.dim)
        flat = x.reshape(-1, self.dim)
        y = np.asarray(self.fn(flat), dtype=float)
        if y.shape != (flat.shape[0],):
            raise ValueError(
                f"target {self.name}: target(x) with x of shape {flat.shape} must return shape "
                f"({flat.shape[0]},), got {y.shape}"
            )
        return v.finite_array(f"target {self.name} values", y).reshape(x.shape[:-1])


class _FileFunction:
    """``target`` of a Python file, imported at the first call: a command checks every other
    argument before any of the user's code runs."""

    def __init__(self, path: Path):
        self.path = path
        self._fn = None

    def __call__(self, x):
        if self._fn is None:
            spec = importlib.util.spec_from_file_location(f"ntk_freq_user_target_{self.path.stem}", self.path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            fn = getattr(module, "target", None)
            if not callable(fn):
                raise ValueError(f"{self.path} must define a function target(x) (x: array of shape (N, d))")
            self._fn = fn
        return self._fn(x)


def load_target(path, dim: int = 1) -> FunctionTarget:
    """The function ``target(x)`` of the Python file ``path`` (x: points of shape (N, d), numpy
    float64; returns shape (N,)). The file is imported like any module, so its top-level code
    runs, but only when the target is first evaluated, after every other check; no string is
    ever evaluated."""
    path = Path(path)
    if path.suffix != ".py" or not path.is_file():
        raise ValueError(f"target file {str(path)!r} must be an existing .py file")
    return FunctionTarget(_FileFunction(path), dim, name=str(path))


TARGET_SPEC_HELP = (
    "a target spec: 'windowed-sines:K1,K2,…' (y = e^{−|x|²/2w²} Σ sin(κ_k·x); a scalar K is "
    "K·e₁, a vector is written with '/' as in 4/0/2) with optional ';width=W', "
    "';amplitudes=A1,A2,…', ';phases=P1,P2,…'; 'gaussian-bump[:W]' (y = e^{−|x|²/2W²}); or "
    "'file:PATH.py' (a Python file defining target(x)). Examples: windowed-sines:4,12, "
    "windowed-sines:4,12;width=2;amplitudes=1,0.5, gaussian-bump:1.5"
)


def target(spec: str, dim: int = 1):
    """Parse a target spec (``TARGET_SPEC_HELP``) for inputs in R^dim."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"expected {TARGET_SPEC_HELP}; got {spec!r}")
    dim = v.positive_int("dim", dim)
    head, *options = [s.strip() for s in spec.split(";")]
    name, _, args = head.partition(":")
    name = name.strip().lower()
    if name == "file":
        if options:
            raise ValueError(f"a file target takes no options, got {options}")
        return load_target(args.strip(), dim)
    if name == "gaussian-bump":
        width = _spec_number(args, "width") if args.strip() else 1.0
        return WindowedSines([[0.0] * dim], width, None, [math.pi / 2], dim)
    if name != "windowed-sines" or not args.strip():
        raise ValueError(f"unknown target {spec!r}; {TARGET_SPEC_HELP}")
    kappa = [_spec_vector(k, dim) for k in args.split(",")]
    kwargs = {}
    for opt in options:
        key, _, value = opt.partition("=")
        key = key.strip()
        if key == "width":
            kwargs["width"] = _spec_number(value, "width")
        elif key in ("amplitudes", "phases"):
            kwargs[key] = [_spec_number(a, key) for a in value.split(",")]
        else:
            raise ValueError(f"unknown target option {key!r}; {TARGET_SPEC_HELP}")
    return WindowedSines(kappa, dim=dim, **kwargs)


def _spec_number(text: str, what: str) -> float:
    return v.parse_number(text, what, TARGET_SPEC_HELP)


def _spec_vector(text: str, dim: int) -> list:
    parts = [_spec_number(p, "frequency") for p in re.split(r"/", text.strip())]
    if len(parts) == 1:
        return parts + [0.0] * (dim - 1)
    if len(parts) != dim:
        raise ValueError(f"frequency {text!r} has {len(parts)} components, expected d = {dim}")
    return parts


INITIAL_ERROR_METHODS = ("auto", "closed", "quadrature")


def initial_error_hat(y, half_width: float | None = None, points_per_axis: int | None = None,
                      *, method: str = "auto"):
    """û₀ = F[f₀ − y] = −ŷ for the doubling initialisation (f₀ ≡ 0), as a callable ξ ↦ complex
    array (ξ of shape (..., d)), ready for :func:`ntk_freq.solve_frequency_pde`.

    method "closed": −ŷ from the target's closed form (the transform over R^d, equal to the one
    over the data domain D when y is negligible outside D); "quadrature": the rectangle rule of
    :mod:`ntk_freq.fourier` on the cell-centred grid of D = [−L, L]^d (``half_width`` L,
    ``points_per_axis`` n: the data grid, Δx = 2L/n); "auto": closed when the target has one."""
    v.choice("method", method, INITIAL_ERROR_METHODS)
    closed = callable(getattr(y, "fourier", None))
    if method == "closed" or (method == "auto" and closed):
        if not closed:
            raise ValueError(f"target {y!r} has no closed-form transform; use method='quadrature'")
        return functools.partial(_negated_transform, y)
    if half_width is None or points_per_axis is None:
        raise ValueError(
            "the quadrature route needs the data domain: half_width L and points_per_axis n "
            "(the cell-centred grid of [−L, L]^d)"
        )
    x, cell_volume = midpoint_grid(half_width, points_per_axis, y.dim)
    return functools.partial(fourier_transform, -y(x), x, cell_volume=cell_volume)


def _negated_transform(y, xi):
    return -y.fourier(xi)
