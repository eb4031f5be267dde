"""Deprecated: the deep comparison is :func:`ntk_freq.comparison.compare` with a
:class:`ntk_freq.DeepFourierFeatures` network. ``compare_deep`` builds that problem and calls it,
with a DeprecationWarning, for one release."""

from __future__ import annotations

import warnings


def compare_deep(rho="gaussian:3", target="windowed-sines:2,7;width=1.5", hidden=(512,),
                 activation: str = "erf", w_std: float = 1.0, b_std: float = 0.0,
                 train_frequencies: bool = True, width: int = 512, eta: float = 0.25,
                 steps: int = 600, n_snapshots: int = 25, half_width: float = 10.0,
                 n_points: int = 160, xi_max: float | None = None, n_xi: int = 241,
                 seed: int = 0, dtype: str = "float32", routes=("pde", "kernel", "nn"),
                 pde_options: dict | None = None, progress: bool = True):
    """Deprecated: ``compare(Problem(rho, network=DeepFourierFeatures(...), ...), routes=...)``."""
    from ntk_freq.comparison._compare import compare
    from ntk_freq.networks import DeepFourierFeatures
    from ntk_freq.problem import Problem, Schedule

    warnings.warn("ntk_freq.comparison._deep_compare.compare_deep is deprecated: use ntk_freq.compare(ntk_freq."
                  "Problem(rho=..., network=ntk_freq.DeepFourierFeatures(...)), routes=...)",
                  DeprecationWarning, stacklevel=2)
    network = DeepFourierFeatures(width=width, hidden=hidden, activation=activation, w_std=w_std,
                                  b_std=b_std, train_frequencies=train_frequencies, dtype=dtype)
    problem = Problem(rho=rho, network=network, target=target,
                      schedule=Schedule(eta=eta, steps=steps, n_snapshots=n_snapshots),
                      half_width=half_width, n_points=n_points, xi_max=xi_max, n_xi=n_xi)
    return compare(problem, routes=tuple(routes) + ("kernel_gd",) * ("kernel" in routes),
                   model="E3", pde_options=pde_options, seed=seed, progress=progress)
