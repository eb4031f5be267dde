"""The spec parser of frequency distributions (``"gaussian:3"``, ``"uniform:10"``, products,
mixtures, shifts, files), above the distribution families and the radial form."""

from __future__ import annotations
import re
from pathlib import Path
import numpy as np
from ntk_freq.distributions._families import (Cauchy, FrequencyDistribution, Gaussian, Laplace,
                                              Mixture, Product, Shift, StudentT, Tabulated,
                                              Uniform, _check_dim)


_FAMILIES = {
    # name: (constructor taking (*params, dim), parameter names for messages)
    "gaussian": (lambda s, dim: Gaussian(s, dim), ("s",)),
    "uniform": (lambda b, dim: Uniform(b, dim), ("B",)),
    "laplace": (lambda s, dim: Laplace(s, dim), ("s",)),
    "cauchy": (lambda g, dim: Cauchy(g, dim), ("gamma",)),
    "student": (lambda nu, s, dim: StudentT(nu, s, dim), ("nu", "s")),
}


SPEC_HELP = (
    "a frequency distribution spec: NAME:PARAMS with NAME in "
    + ", ".join(f"{n}:{','.join(p)}" for n, (_, p) in _FAMILIES.items())
    + "; 'file:PATH' (a .npz/.csv tabulated density); a shift 'NAME:PARAMS@MU' "
    "(½[ρ(w−μ)+ρ(w+μ)], MU a comma list of d numbers, or one number μ for (μ, …, μ)); "
    "a mixture 'P*SPEC+Q*SPEC' "
    "(weights summing to 1); per-axis parameters 'NAME:A1/A2' in d >= 2 (the product of the "
    "1-D laws: an anisotropic ρ_w). Examples: gaussian:4, uniform:8, student:3,2, "
    "0.5*gaussian:1+0.5*laplace:2@6, gaussian:3/1 (d = 2)"
)


def distribution(spec: str, dim: int = 1) -> FrequencyDistribution:
    """Parse a short spec (see ``SPEC_HELP``) into a distribution on R^dim.

    >>> distribution("gaussian:4")
    Gaussian(scale=4.0, dim=1)
    """
    if isinstance(spec, FrequencyDistribution):
        if spec.dim != dim:
            raise ValueError(f"distribution {spec!r} lives in d = {spec.dim}, not {dim}")
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"expected {SPEC_HELP}; got {spec!r}")
    dim = _check_dim(dim)
    # a '+' starts a new mixture term only before WEIGHT*; '1e+1' stays a number
    terms = [t.strip() for t in re.split(r"\+(?=\s*[0-9.]+(?:[eE][-+]?[0-9]+)?\s*\*)", spec)]
    if len(terms) == 1 and "*" not in terms[0]:
        return _parse_term(terms[0], dim)
    weights, comps = [], []
    for t in terms:
        m = re.fullmatch(r"([0-9.eE+-]+)\s*\*\s*(.+)", t)
        if not m:
            raise ValueError(f"mixture term {t!r} must read WEIGHT*SPEC; {SPEC_HELP}")
        weights.append(_number(m.group(1), "mixture weight"))
        comps.append(_parse_term(m.group(2).strip(), dim))
    return Mixture(tuple(comps), tuple(weights))


def _family(name: str, params: str, dim: int) -> FrequencyDistribution:
    """NAME:P1,P2 on R^dim; a parameter written per axis, "A1/A2/…" (d values), makes the
    product of the 1-D laws with each axis's parameters (an anisotropic ρ_w)."""
    make, names = _FAMILIES[name]
    texts = [p.strip() for p in params.split(",")] if params else []
    if len(texts) != len(names):
        raise ValueError(
            f"{name} takes {len(names)} parameter(s) {','.join(names)} (e.g. "
            f"{name}:{','.join('2' for _ in names)}), got {params!r}"
        )
    per_axis = [[_number(a, f"parameter of {name}") for a in t.split("/")] for t in texts]
    if all(len(p) == 1 for p in per_axis):
        return make(*[p[0] for p in per_axis], dim)
    for t, p in zip(texts, per_axis):
        if len(p) not in (1, dim):
            raise ValueError(f"{name}: parameter {t!r} has {len(p)} per-axis values, expected "
                             f"1 or d = {dim} (e.g. {name}:{'/'.join(['2'] * dim)})")
    return Product(tuple(make(*[p[i] if len(p) > 1 else p[0] for p in per_axis], 1)
                         for i in range(dim)))


def _load_file(path: str) -> FrequencyDistribution:
    """A density file: a radial profile (.npz with 'radius', :class:`ntk_freq.distributions.Radial`)
    or a tabulated grid (:meth:`Tabulated.load`)."""
    if path.endswith(".npz") and Path(path).exists():
        with np.load(path, allow_pickle=False) as f:
            radial = "radius" in f.files
        if radial:
            from ntk_freq.distributions._radial import Radial

            return Radial.load(path)
    return Tabulated.load(path)


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number; {SPEC_HELP}") from None


def _parse_term(term: str, dim: int) -> FrequencyDistribution:
    base_text, _, mu_text = term.partition("@")
    name, _, params = base_text.strip().partition(":")
    name = name.strip().lower()
    if name == "file":
        rho = _load_file(params.strip())
        if rho.dim != dim:
            raise ValueError(f"{params}: the tabulated density is {rho.dim}-D, expected d = {dim}")
    elif name in _FAMILIES:
        rho = _family(name, params, dim)
    else:
        raise ValueError(f"unknown distribution {name!r}; {SPEC_HELP}")
    if mu_text:
        mu = [_number(x, "shift") for x in mu_text.split(",")]
        rho = Shift(rho, tuple(mu * dim if len(mu) == 1 else mu))
    return rho
