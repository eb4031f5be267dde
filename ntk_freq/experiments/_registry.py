"""The one registry of named experiments: what ``ntk-freq reproduce NAME`` runs and, for the
comparison experiments, the presets of ``ntk-freq run --experiment NAME`` (and their quick forms).
Entry points and settings functions are named by import path (``"module:function"``), imported
only when an experiment runs, so listing is instant."""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
from dataclasses import dataclass, field

from ntk_freq._util import store


@dataclass(frozen=True)
class NamedExperiment:
    """A registered experiment: its name, a one-line description, its entry point,
    (optionally) ``settings``, "module:function" with ``function(quick) -> dict`` giving the
    settings it runs with (part of the cache key), and ``options``, keyword arguments passed to
    both (one entry point serving several experiments). A comparison experiment also carries its
    run ``preset`` (the flat settings of :func:`ntk_freq.compare`, ``ntk-freq run --experiment
    NAME``) and its quick form: the changes ``quick`` under the name ``quick_name``."""

    name: str
    description: str
    entry: str
    settings: str | None = None
    options: tuple = ()
    preset: dict | None = field(default=None, compare=False)
    quick: dict = field(default_factory=dict, compare=False)
    quick_name: str | None = None

    def function(self):
        return functools.partial(_load(self.entry), **dict(self.options))

    def spec(self, quick: bool) -> dict:
        """What identifies a result: name, entry point, form, settings, and the code that
        computes it (:func:`ntk_freq._util.store.code_identity`: version, source hash, git
        revision), so that changed code never serves an old result."""
        settings = _load(self.settings)(quick, **dict(self.options)) if self.settings else None
        return {"name": self.name, "entry": self.entry, "quick": quick, "settings": settings,
                "code": store.code_identity()}

    def cache_key(self, quick: bool) -> str:
        text = json.dumps(self.spec(quick), sort_keys=True, default=store._json_default)
        return hashlib.sha256(text.encode()).hexdigest()


def _load(entry: str):
    module, _, attr = entry.partition(":")
    return getattr(importlib.import_module(module), attr)


REGISTRY: dict[str, NamedExperiment] = {
    e.name: e
    for e in (
        NamedExperiment(
            "default",
            "Gaussian vs uniform rho_w on a two-frequency target: PDE, kernel flow, trained FF-NN",
            "ntk_freq.experiments._run:reproduce_default",
            "ntk_freq.experiments._run:default_settings",
            # Gaussian vs uniform ρ_w on a two-frequency target: the Gaussian prior learns κ = 2
            # long before κ = 7 (ρ̄ differs by e^{-45/18} ≈ 0.08 between them); the band
            # [−10, 10] learns both at the same rate cπ/B. Wide domain D = [−10, 10] ≫ window
            # w = 1.5; Nyquist π/Δx = 25. Quick: the same science with a smaller network (the
            # notebook and the tests).
            preset=dict(
                rhos=("gaussian:3", "uniform:10"), target="windowed-sines:2,7;width=1.5",
                sigma_a=0.5, width=4096, eta=0.5, steps=300, n_snapshots=31, half_width=10.0,
                n_points=160, n_xi=241, seed=0, part="full", dtype="float32",
            ),
            quick=dict(width=1024, n_snapshots=16, n_xi=121), quick_name="quick",
        ),
        NamedExperiment(
            "default-2d",
            "Directional bias in d = 2: anisotropic Gaussian vs uniform rho_w, wave vectors (2,0), (0,2)",
            "ntk_freq.experiments._run:reproduce_default",
            "ntk_freq.experiments._run:default_settings",
            (("experiment", "default-2d"),),
            # An anisotropic Gaussian ρ_w (s = 3 along ξ₁, 1 along ξ₂) vs the uniform ρ_w on the
            # square [−4, 4]², learning κ = (2, 0) and (0, 2). With W frozen the rates
            # c(2π)²ρ̄_w(κ) differ by e^{2(1 − 1/9)} ≈ 5.9 between the two κ under the Gaussian
            # and are equal under the uniform ρ_w. Data: 32² points on [−8, 8]² (Nyquist
            # π/Δx = 6.3 above max κ + 5/w = 5.3; window reach 5w = 7.5 < 8).
            preset=dict(
                rhos=("gaussian:3/1", "uniform:4"), target="windowed-sines:2/0,0/2;width=1.5",
                sigma_a=0.5, width=1024, eta=1.0, steps=300, n_snapshots=16, half_width=8.0,
                n_points=32, n_xi=49, seed=0, part="full", dtype="float32", dim=2,
                pde_options={"resolution_tol": 1e-3},
            ),
            quick=dict(width=512, n_snapshots=8, n_xi=25), quick_name="quick-2d",
        ),
        NamedExperiment(
            "default-3d",
            "d = 3: isotropic vs axis-narrow Gaussian rho_w, wave vectors along xi_1 and xi_3",
            "ntk_freq.experiments._run:reproduce_default",
            "ntk_freq.experiments._run:default_settings",
            (("experiment", "default-3d"),),
            # An isotropic Gaussian vs one narrow along ξ₃ (s = 1.5, 1.5, 0.6), κ = 1.2 e₁ and
            # 1.2 e₃, on 21³ points of [−6, 6]³ (Nyquist π/Δx = 5.5 above 1.2 + 5/1.2 = 5.4;
            # window reach 5w = 6 = L). Frozen-W rates c(2π)³ρ̄_w(κ): equal under the isotropic
            # law, e^{0.72(1/0.36 − 1/2.25)} ≈ 5.4 apart under the narrow one. Width and steps
            # keep the run near a minute at N = 9261. P2 elements of size 0.8 (3·10⁴–9·10⁴
            # DOFs): û₀ and ρ̄_w resolved to ~1.5 %, below the (E3)-vs-kernel gap (the automatic
            # first mesh, R/16: 2.7·10⁵ DOFs, takes minutes). Quick: a coarser mesh too.
            preset=dict(
                rhos=("gaussian:1", "gaussian:1.5/1.5/0.6"),
                target="windowed-sines:1.2/0/0,0/0/1.2;width=1.2", sigma_a=0.5, width=256,
                eta=1.5, steps=200, n_snapshots=8, half_width=6.0, n_points=21, n_xi=15, seed=0,
                part="full", dtype="float32", dim=3,
                pde_options={"mesh_size": 0.8, "resolution_tol": 5e-2, "mass_tol": 1e-4},
            ),
            quick=dict(width=128, steps=100, n_snapshots=4, n_xi=9,
                       pde_options={"mesh_size": 1.2, "resolution_tol": 1e-1, "mass_tol": 1e-3}),
            quick_name="quick-3d",
        ),
        NamedExperiment(
            "pinn",
            "FF-PINN on screened Poisson -u'' + u: the residual loss reverses the Gaussian rho_w's bias (PDE, kernel flow, trained network)",
            "ntk_freq.experiments._run:reproduce_default",
            "ntk_freq.experiments._run:default_settings",
            (("experiment", "pinn"),),
            # The residual loss of −u'' + μ²u (μ = 1) weighs frequency ξ by q = (ξ² + 1)²: with W
            # frozen the Gaussian ρ_w (s = 3) learns κ = 7 8.2× faster than κ = 2 (q ρ̄ ratio
            # 100 e^{−2.5}), the plain loss's order reversed; Laplace (s = 1) nearly evens them
            # (ratio 0.67). W trained (σ_a = 0.5): the rates move away from the frozen ones, shown
            # beside them. η = 0.002 < 2/λ_max = 0.0135 of the residual kernel; t = 1. (E3_L) on
            # D = [−10, 10] is within 1e-3 of the kernel flow up to t ≈ 1 (the error starts to
            # leave D later: docs/operator-losses.md).
            preset=dict(
                rhos=("gaussian:3", "laplace:1"), target="windowed-sines:2,7;width=1.5",
                loss="screened-poisson:1", sigma_a=0.5, width=4096, eta=0.002, steps=500,
                n_snapshots=21, half_width=10.0, n_points=160, n_xi=241, seed=0, part="full",
                dtype="float32",
            ),
            quick=dict(width=1024, steps=250, eta=0.004, n_snapshots=11, n_xi=121), quick_name="quick-pinn",
        ),
        NamedExperiment(
            "pinn-reversal",
            "Screened Poisson FF-PINN: the residual loss reverses the Gaussian rho_w's bias (kappa = 7 before 2); a rho_w designed under (E3_L) evens them",
            "ntk_freq.experiments._operator_losses:pinn_reversal",
        ),
        NamedExperiment(
            "helmholtz-resonance",
            "Helmholtz FF-PINN (k = 3): the resonant frequency is not learned with W frozen and gains error with W trained",
            "ntk_freq.experiments._operator_losses:helmholtz_resonance",
        ),
        NamedExperiment(
            "sobolev-circle",
            "Yu, Yang & Townsend: the H^s loss turns the ReLU NTK's rates k^-2 into k^(2s-2) on the circle (theory, kernel flow, trained networks)",
            "ntk_freq.experiments._operator_losses:sobolev_circle",
        ),
        NamedExperiment(
            "preconditioning",
            "Geifman et al.: spectral preconditioning of gradient descent, each mode's rate g(lambda) lambda; the speed-up at kappa = 2, 7 (theory, kernel flow, trained random features)",
            "ntk_freq.experiments._operator_losses:preconditioning",
        ),
        NamedExperiment(
            "rho-gallery",
            "Per-frequency learning times under Gaussian, uniform, Laplace, Cauchy and band-pass rho_w: PDE, kernel, network",
            "ntk_freq.experiments._gallery:rho_gallery",
            "ntk_freq.experiments._gallery:gallery_settings",
        ),
        NamedExperiment(
            "sigma-a",
            "Effect of sigma_a (the diffusion of (E3)) on the learning curves: a sweep over sigma_a",
            "ntk_freq.experiments._gallery:sigma_a_effect",
            "ntk_freq.experiments._gallery:sigma_a_config",
        ),
        NamedExperiment(
            "width-convergence",
            "Network-vs-kernel gap against width m, fitted exponent (theory -1/2)",
            "ntk_freq.experiments._gallery:width_convergence",
            "ntk_freq.experiments._gallery:width_settings",
        ),
        NamedExperiment(
            "design",
            "An initialisation designed to reverse the spectral bias, against Gaussian and uniform baselines",
            "ntk_freq.experiments._gallery:design_demo",
        ),
        NamedExperiment(
            "depth-profile",
            "Deep FF-NNs: damping density rho_alpha(xi) for depths 1-4, relu/erf/gelu, three rho_w",
            "ntk_freq.experiments._deep:depth_profile",
        ),
        NamedExperiment("rahaman-sines", "Rahaman et al.: a deep ReLU MLP learns equal-amplitude sines low frequency first (Δ_F)",
                        "ntk_freq.diagnostics._classics:rahaman_sines"),
        NamedExperiment("ronen-sphere", "Ronen et al.: two-layer ReLU on the circle, time to learn k ∝ k² (theory, kernel regime, O(1) amplitude)",
                        "ntk_freq.diagnostics._classics:ronen_sphere"),
        NamedExperiment("xu-digits", "Xu et al.: F-principle on 8x8 digits by the filtering method (low part converges first)",
                        "ntk_freq.diagnostics._classics:xu_digits"),
        NamedExperiment("fridovich-digits", "Fridovich-Keil et al.: interpolation spectra of digit classifiers, clean vs noisy labels",
                        "ntk_freq.diagnostics._classics:fridovich_digits"),
        NamedExperiment("lazy-map", "Kernel-regime boundary over target amplitude x width (two-layer ReLU on the circle)",
                        "ntk_freq.diagnostics._classics:lazy_map"),
        NamedExperiment(
            "theory-gap",
            "Where the eigenlearning theory holds: theory / Monte Carlo test error vs n on intervals, squares, the circle, S^2 and S^9",
            "ntk_freq.experiments._generalisation:theory_gap",
        ),
        NamedExperiment(
            "samples-per-frequency",
            "Gaussian vs uniform rho_w: the samples each target frequency needs (theory and Monte-Carlo kernel regression)",
            "ntk_freq.experiments._generalisation:samples_per_frequency",
        ),
        NamedExperiment(
            "tancik-1d",
            "Tancik et al. 1-D: test error against the embedding's power p, kernel flow at the trained time, kernel regression, trained ReLU MLPs",
            "ntk_freq.experiments._generalisation:tancik_1d",
        ),
        NamedExperiment(
            "bcp-sphere",
            "Bordelon, Canatar & Pehlevan: mode errors E_k against samples P, deep ReLU NTK on S^9 (theory and Monte Carlo)",
            "ntk_freq.experiments._generalisation:bcp_sphere",
        ),
        NamedExperiment(
            "basri-circle",
            "Basri et al. 2020 on the circle: two-layer ReLU NTK, piecewise-constant density, local learning times t ~ k^a p^-b (with and without bias)",
            "ntk_freq.experiments._density_law:reproduce_basri_circle",
        ),
        NamedExperiment(
            "basri-density",
            "Basri et al. 2020 density law: 4x denser data learn every frequency ~4x faster",
            "ntk_freq.experiments._density_law:reproduce_basri_density",
        ),
    )
}


