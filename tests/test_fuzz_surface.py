"""Hostile input for every public callable, built from its signature (issue #26).

tests/test_fuzz.py throws hand-written hostile cases at 27 entry points; this module reaches the
whole public surface: every function and class in the ``__all__`` of ``ntk_freq`` and of each
subpackage facade. A call is built from ``inspect.signature``: one parameter (required or
optional) gets a hostile value (NaN, ±inf, 0, negatives, 1e308, 10**30, strings, None, booleans,
complex numbers, empty, NaN-filled and wrongly shaped arrays) and every other required parameter
a small valid value, from :data:`VALID` (by parameter name) or, where a callable needs more
setup, :data:`OVERRIDES`. Optional parameters keep their defaults. Each outcome is classified as
in tests/fuzzing.py; the test requires no ``obscure`` outcome (an exception other than
ValueError, TypeError and MemoryError), no ``hang`` and no ``nonsense`` (NaN or infinity
returned). Result records (:data:`RECORDS`: dataclasses that hold what a computation returned)
store what they are given, so a NaN passed in may come back; from finite input they must return
finite values like every other callable.

``test_baselines`` (``-m slow``) checks that the valid calls themselves run (a baseline refused
would make its hostile cases vacuous). The default run draws 2 cases per callable (derandomised,
so a run is reproducible); ``-m slow`` draws 60 per callable at random. Run the thorough form with
``python -m pytest -n 2 -m slow tests/test_fuzz_surface.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ntk_freq as nf

from fuzzing import classify

FACADES = ("ntk_freq",) + tuple(f"ntk_freq.{name}" for name in nf.SUBPACKAGES)

#: Callables that cannot be fuzzed this way, with the reason. Exception and warning classes are
#: left out automatically (they are raised, not called with data).
SKIP = {
    # full experiments: minutes of work once an argument is accepted (their options are checked
    # by test_fuzz's CLI cases and by test_reproduce)
    **dict.fromkeys(
        ["experiments.reproduce", "experiments.reproduce_all", "experiments.reproduce_basri_density",
         "experiments.reproduce_default", "experiments.rho_gallery", "experiments.sigma_a_effect",
         "experiments.width_convergence", "experiments.depth_profile", "experiments.design_demo",
         "experiments.density_law", "experiments.profile_table", "experiments.trained_times",
         "diagnostics.fridovich_digits", "diagnostics.lazy_map", "diagnostics.rahaman_sines",
         "diagnostics.ronen_sphere", "diagnostics.xu_digits", "design.trained_times",
         "training.load_digits"],
        "a full experiment (minutes)"),
    # Dask clusters and process-wide state
    "experiments.run_sweep": "starts a Dask cluster",
    "experiments.connect": "starts or connects to a Dask cluster",
    "experiments.use_compilation_cache": "sets JAX's process-wide compilation cache",
    "experiments.combine": "gathers the point files of a finished run_sweep (skipped above)",
    # operator losses: records and closures of already-checked pieces (the entry points that
    # check, moment_limit, frequency_rule, residual_data, ..., are fuzzed below)
    **dict.fromkeys(
        ["kernels.FrequencyRule", "kernels.KernelRules", "kernels.ResidualFlow", "kernels.checked_rules",
         "kernels.operator_gram", "kernels.ff_rules", "kernels.tabulated_rule", "kernels.operator_flow",
         "losses.ResidualData", "losses.residual_apply"],
        "internal building blocks of the operator-loss routes: records, rules and closures built "
        "from already-checked inputs (Problem, FourierFeatures.operator_ntk, residual_data)"),
    # figures written to a path (matplotlib, seconds each)
    **dict.fromkeys(
        ["plotting.plot_design", "plotting.plot_direction_rates", "plotting.plot_learning_curves",
         "plotting.plot_spectrum", "plotting.plot_spectrum_heatmaps", "plotting.plot_spectrum_panels",
         "plotting.plot_width_study", "plotting.save_figure", "plotting.caption", "plotting.figure",
         "plotting.styled", "experiments.write_figures", "experiments.write_figures_nd",
         "experiments.plot_density_law", "experiments.plot_depth_profile",
         "experiments.plot_half_lives", "experiments.plot_remaining_along"],
        "draws or writes a matplotlib figure"),
}

#: Dataclasses that hold a computed result (their fields are stored, not checked) and helpers
#: that return a slice of what they are given: NaN in may come back out.
RECORDS = {
    "plotting.plane", "plotting.axis_line",
    "Comparison", "comparison.RhoComparison", "comparison.WidthStudy", "comparison.ComparisonSetup",
    "kernels.DecayFit", "kernels.EffectiveDensities", "kernels.KernelOperator", "kernels.Profiles",
    "kernels.Spectrum", "kernels.UniformGrid", "training.Fit", "training.RegimeTrace",
    "training.TrainResult", "design.Design", "design.DeepDesign", "design.ProductDesign",
    "design.PDECheck", "design.DampingMap", "diagnostics.FilteredErrors",
    "diagnostics.InterpolationSpectra", "diagnostics.KernelRegime", "diagnostics.ModeCurves",
    "diagnostics.NTKModes", "generalisation.Eigenlearning", "generalisation.MonteCarlo",
    "generalisation.Population", "experiments.Run", "experiments.SweepResult",
    "experiments.NamedExperiment", "experiments.Dimension", "experiments.SweepSpec", "networks.Network",
    "networks.PDECoefficients", "pde.FrequencySolution",
}

#: Callables whose documented results hold NaN or infinity, and where: the fields or keys named
#: (any part of the result where None).
ALLOW_NONFINITE = {
    "generalisation.eigenlearning": ("missing_mass", "missing_power", "tail_dof"),  # NaN: no trace given
    "generalisation.nystrom": ("frequency",),  # NaN: no reach given
    "generalisation.default_bands": None,  # band edges run to ∞
    "data.relative_l2": None,  # NaN spectra (routes that were not run) give NaN gaps
    "data.remaining_fraction": None,  # and NaN fractions (NaN also where û(ξ, 0) = 0)
    "generalisation.band_edges": None,
    "generalisation.kernel_regression": ("times",),  # t = ∞: the ridge(less) limit
    "experiments.run_learning_curve": ("summary",),  # time = ∞, as above
    "experiments.learning_curve_summary": None,
    "experiments.comparison_arrays": None,  # NaN: the routes that were not run
    "diagnostics.learning_time": None,  # ∞: never learned
    "experiments.learning_time": None, "experiments.e_folding_time": None,
    "design.first_passage": None, "design.frozen_time": None, "design.learning_times": None,
}


def public_callables() -> dict[str, object]:
    """Every public function and class, by its first facade (``ntk_freq`` names without prefix)."""
    found, seen = {}, set()
    for facade in FACADES:
        module = importlib.import_module(facade)
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, type) and (issubclass(obj, BaseException) or inspect.isabstract(obj)):
                continue  # raised, not called; abstract bases: their subclasses are fuzzed
            found[(facade.removeprefix("ntk_freq").lstrip(".") + "." + name).lstrip(".")] = obj
    return found


# --- valid values ----------------------------------------------------------------------------

def _x():
    return np.linspace(-1.0, 1.0, 5)[:, None]


@functools.cache
def _tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="ntk-freq-fuzz-"))


@functools.cache
def _network():
    from ntk_freq.networks import ff_network

    return ff_network(nf.distributions.Gaussian(2.0), 0.5, 8)


@functools.cache
def _params():
    import jax

    return _network().init(jax.random.PRNGKey(0))


@functools.cache
def _problem():
    return nf.Problem(target="windowed-sines:1;width=1.5", half_width=4.0, n_points=16,
                      network=nf.FourierFeatures(sigma_a=0.5, width=16),
                      schedule=nf.Schedule(steps=4, n_snapshots=2))


@functools.cache
def _comparison():
    return nf.compare(_problem(), routes=("kernel",), progress=False)


@functools.cache
def _dataset():
    from ntk_freq.comparison import comparison_dataset

    return comparison_dataset(_comparison())


@functools.cache
def _gram():
    return nf.ff_ntk(_x(), _x(), nf.distributions.Gaussian(2.0), sigma_a=1.0)


@functools.cache
def _train_result():
    return nf.train(_network(), _params(), _x(), y=np.sin(_x()[:, 0]), eta=0.1, times=[0.0, 0.2],
                    progress=False, regime=False)


@functools.cache
def _objective():
    return nf.design.RateProfile(lambda k: 1 + k, (0.0, 4.0), absolute=False)


@functools.cache
def _design():
    return nf.design_rho(_objective(), sigma_a=1.0, density=0.1, n_points=41)


@functools.cache
def _population():
    from ntk_freq.generalisation import sphere_population

    return sphere_population(lambda a, b: np.exp(a @ b.T - 1), 2, lambda x: x[:, 0], kmax=4,
                             test_points=20)


@functools.cache
def _sweep_spec():
    from ntk_freq.experiments import parse_config

    return parse_config({"fixed": {k: v for k, v in _settings().items() if k not in ("rhos", "sigma_a")} | {"rhos": ["gaussian:3"]},
                         "grid": {"sigma_a": [0.5, 1.0]}})


def _fields(record) -> dict:
    """The constructor arguments that rebuild a dataclass or named tuple."""
    if hasattr(record, "_asdict"):
        return record._asdict()
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.init}


def _settings() -> dict:
    """Flat settings of a comparison that runs in a second."""
    return {**nf.experiments.default_settings(quick=True), "rhos": ("gaussian:3",), "width": 16,
            "target": "windowed-sines:1;width=1.5", "half_width": 4.0, "n_points": 16, "steps": 4,
            "n_snapshots": 2}


#: A small valid value per parameter name (a factory: arrays are rebuilt for every call).
VALID = {
    "dim": lambda: 1, "progress": lambda: False, "quick": lambda: True,
    "times": lambda: np.array([0.0, 0.5, 1.0]), "rho": lambda: nf.distributions.Gaussian(2.0),
    "x": _x, "x1": _x, "x2": _x, "X": _x, "xx": lambda: _x() @ _x().T,
    "sigma_a": lambda: 1.0, "xi": lambda: np.linspace(0.5, 4.0, 5), "density": lambda: 0.1,
    "path": lambda: _tmp() / "file.nc", "out": _tmp, "directory": _tmp,
    "b_std": lambda: 0.0, "w_std": lambda: 1.0, "seed": lambda: 0, "activation": lambda: "relu",
    "n": lambda: 4, "network": _network, "params": _params, "width": lambda: 8,
    "part": lambda: "full", "y": lambda: np.sin(np.linspace(-1.0, 1.0, 5)), "weights": lambda: None,
    "n_points": lambda: 16, "dtype": lambda: "float64", "problem": _problem, "name": lambda: "fuzz",
    "epsilon": lambda: 0.1, "eta": lambda: 0.1, "hidden": lambda: (8,), "ds": _dataset,
    "steps": lambda: 4, "settings": lambda: nf.experiments.default_settings(quick=True),
    "note": lambda: "", "tol": lambda: 1e-3, "theta_gram": _gram, "regime": lambda: False,
    "options": lambda: {}, "level": lambda: 0.5, "half_width": lambda: 4.0, "xi_max": lambda: 4.0,
    "kmax": lambda: 4, "u0": lambda: np.sin(np.linspace(-1.0, 1.0, 5)), "kappa": lambda: 1.0,
    "scale": lambda: 1.0, "radius": lambda: 2.0, "n_times": lambda: 5, "delta": lambda: 0.3,
    "target": lambda: "windowed-sines:1;width=1.5", "objective": _objective, "cmp": _comparison,
    "lam": lambda: np.array([1.0, 0.5, 0.25]), "eigenvalues": lambda: np.array([1.0, 0.5, 0.25]),
    "eigenvalue": lambda: np.exp(-np.arange(1.0, 9.0)), "frequency": lambda: np.arange(1.0, 9.0),
    "target_power": lambda: np.array([0.5, 0.3, 0.2]), "multiplicity": lambda: 1,
    "u": lambda: np.sin(np.linspace(-1.0, 1.0, 5)), "u_hat": lambda: np.ones((3, 5)),
    "remaining": lambda: np.array([[1.0, 1.0], [0.5, 0.8], [0.2, 0.6]]),
    "key": lambda: __import__("jax").random.PRNGKey(0), "n_inputs": lambda: 5,
    "labels": lambda: np.array([0, 1, 0, 1, 1]), "n_classes": lambda: 2, "band": lambda: (0.0, 4.0),
    "t": lambda: 0.5, "t_max": lambda: 2.0, "n_steps": lambda: 20, "depth": lambda: 2,
    "design": _design, "spec": _sweep_spec, "k": lambda: np.arange(4), "c": lambda: np.linspace(-1.0, 1.0, 5),
    "values": lambda: np.linspace(1.0, 2.0, 5), "edges": lambda: np.array([-1.0, 0.0, 1.0]),
    "points": lambda: 3, "alpha": lambda: np.linspace(0.5, 1.0, 5), "tau": lambda: np.linspace(1.0, 2.0, 5),
    "fractions": lambda: np.array([[1.0, 0.5, 0.05]] * 5).T, "result": lambda: {},
    "summary": lambda: {}, "record": lambda: _problem().record(), "population": _population,
    "draws": lambda: 2, "kernel": lambda: (lambda a, b: np.exp(a @ b.T - 1)), "kernel_fn": lambda: (lambda a, b: np.exp(a @ b.T - 1)),
    "apply_fn": lambda: _network().apply, "apply": lambda: _network().apply, "f": lambda: _network().apply,
    "rng": lambda: np.random.default_rng(0), "field": lambda: np.ones((4, 4)), "axis": lambda: 0,
    "text": lambda: "caption", "config": lambda: {}, "experiment": lambda: "default", "n_out": lambda: 1,
    "shape": lambda: "box", "order": lambda: 2, "scheme": lambda: "cn", "solver": lambda: "direct",
    "n_dofs": lambda: 100, "domain": lambda: None, "widths": lambda: np.array([16, 32, 64]),
    "gaps": lambda: np.array([0.4, 0.3, 0.2]), "gap": lambda: np.array([0.4, 0.3, 0.2]),
    "m": lambda: np.array([16.0, 32.0, 64.0]), "what": lambda: "the fuzz case", "hint": lambda: "reduce it",
    "n_params": lambda: 100, "fraction": lambda: 0.1, "threshold": lambda: 0.1,
    "predictions": lambda: np.stack([0 * np.sin(np.linspace(-2, 2, 40)), np.sin(np.linspace(-2, 2, 40))]),
    "prefactor": lambda: 1.0, "exponent": lambda: -0.5, "model": lambda: "E2", "routes": lambda: ("kernel",),
    "seeds": lambda: (0,), "ks": lambda: (1,), "amplitude": lambda: 1.0, "n_pairs": lambda: 4,
    "n_modes": lambda: 2, "bands": lambda: None, "noise": lambda: 0.0, "ridge": lambda: 0.0,
    "period": lambda: 2 * math.pi, "n_draws": lambda: 4, "mu": lambda: (0.5,), "nu": lambda: 3.0,
    "gamma": lambda: 1.0, "T": lambda: 2.0, "reference": lambda: np.ones(5), "measure": lambda: nf.data.training_measure("box:4", 4.0, 8),
    "stem": lambda: "fuzz", "key_name": lambda: "k", "diameter": lambda: 2.0, "nn": lambda: 0.5,
    "final_time": lambda: 1.0, "centre": lambda: 3.0, "prefix": lambda: "run", "config_path": lambda: _tmp() / "c.toml",
    "timeout": lambda: 1.0, "n_per_class": lambda: 2, "trace": lambda: 1.75, "target_norm": lambda: 1.0,
}


def _xdiag():
    return np.linspace(-2, 2, 40)[:, None]


#: Valid required arguments for callables that need more than :data:`VALID` gives.
OVERRIDES = {
    "Problem": lambda: {}, "Schedule": lambda: {}, "FourierFeatures": lambda: {},
    "DeepFourierFeatures": lambda: {"width": 8, "hidden": (8,)},
    "distribution": lambda: {"spec": "gaussian:3"},
    "data_density": lambda: {"spec": "box:4"},
    "target": lambda: {"spec": "windowed-sines:1;width=1.5"},
    "fourier_transform": lambda: {"u": np.sin(np.linspace(-1, 1, 8)), "x": np.linspace(-1, 1, 8),
                                  "xi": np.linspace(0, 3, 3)},
    "ff_ntk": lambda: {"x1": _x(), "x2": _x(), "rho": nf.distributions.Gaussian(2.0), "sigma_a": 1.0},
    "ff_mlp_ntk": lambda: {"x1": _x(), "x2": _x(), "rho": nf.distributions.Gaussian(2.0), "hidden": (8,)},
    "gram_spectrum": lambda: {"theta_gram": _gram()},
    "periodic_spectrum": lambda: {"rho": nf.distributions.Gaussian(2.0), "period": 2 * math.pi, "kmax": 4},
    "kernel_flow": lambda: {"theta_gram": _gram(), "u0": np.sin(_x()[:, 0]), "times": [0.0, 1.0]},
    "train": lambda: {"network": _network(), "params": _params(), "x": _x(), "y": np.sin(_x()[:, 0]),
                      "eta": 0.1, "times": [0.0, 0.2], "progress": False, "regime": False},
    "solve_frequency_pde": lambda: {"rho": nf.distributions.Uniform(3.0), "sigma_a": 1.0, "density": 0.1,
                                    "u0_hat": nf.data.initial_error_hat(nf.data.WindowedSines([2.0], width=1.0)),
                                    "times": [0.0, 1.0], "max_dofs": 400},
    "learning_curve": lambda: {"problem": _problem(), "n": [4, 8], "progress": False},
    "compare": lambda: {"problems": _problem(), "routes": ("kernel",), "progress": False},
    "Comparison": lambda: _fields(_comparison()),
    "width_study": lambda: {"problem": _problem(), "widths": (8, 16), "seeds": (0,), "progress": False},
    "open_results": lambda: {"path": _stored_results()},
    "design_rho": lambda: {"objective": _objective(), "sigma_a": 1.0, "density": 0.1, "n_points": 41},
    "run_experiment": lambda: {"settings": _settings(), "out": _tmp(), "progress": False},
    # data
    "data.Cells": lambda: _fields(nf.data.box(2.0)),
    "data.FunctionTarget": lambda: {"fn": lambda x: np.sin(x[..., 0])},
    "data.GaussianData": lambda: {"scale": 1.0},
    "data.PointMeasure": lambda: {"points": _x()},
    "data.ProductDensity": lambda: {"factors": (nf.data.box(2.0), nf.data.box(1.0))},
    "data.WindowedSines": lambda: {"frequencies": (2.0,)},
    "data.box": lambda: {"a": 2.0},
    "data.frequency_grid": lambda: {"radius": 4.0, "n": 8},
    "data.grid": lambda: {"x": np.linspace(-1, 1, 5), "density": np.full(5, 0.5)},
    "data.grid_cell_volume": lambda: {"x": _x()},
    "data.initial_error_hat": lambda: {"y": nf.data.WindowedSines([2.0], width=1.0)},
    "data.load_grid": lambda: {"path": _text_file("grid.csv", GRID_CSV)},
    "data.load_target": lambda: {"path": _text_file("target.py", TARGET_PY)},
    "data.measured_spectrum": lambda: {"u": np.ones(8), "measure": nf.data.training_measure("box:4", 4.0, 8),
                                       "xi": np.linspace(0, 2, 3)},
    "data.midpoint_grid": lambda: {"half_width": 2.0, "n": 8},
    "data.pieces": lambda: {"edges": [-1.0, 0.0, 1.0], "masses": [0.5, 0.5]},
    "data.relative_l2": lambda: {"u_hat": np.ones(5), "reference": np.full(5, 2.0)},
    "data.remaining_fraction": lambda: {"u_hat_t": np.ones((2, 5)), "u_hat_0": np.full(5, 2.0)},
    "data.tensor_rule": lambda: {"rules": [nf.kernels.box_quadrature(-1.0, 1.0, 3)] * 2},
    "data.training_measure": lambda: {"data": "box:4", "half_width": 4.0, "n_points": 8},
    # distributions
    "distributions.Cauchy": lambda: {"gamma": 1.0},
    "distributions.Empirical": lambda: {"samples": np.linspace(-2.0, 2.0, 20)},
    "distributions.Gaussian": lambda: {"scale": 1.0},
    "distributions.Laplace": lambda: {"scale": 1.0},
    "distributions.Mixture": lambda: {"components": (nf.distributions.Gaussian(1.0), nf.distributions.Laplace(2.0)),
                                      "weights": (0.5, 0.5)},
    "distributions.Product": lambda: {"factors": (nf.distributions.Gaussian(1.0), nf.distributions.Laplace(2.0))},
    "distributions.Radial": lambda: {"radius": np.linspace(0.0, 3.0, 7), "values": np.linspace(1.0, 0.0, 7) / (3 * np.pi)},
    "distributions.Shift": lambda: {"base": nf.distributions.Gaussian(1.0), "mu": (0.5,)},
    "distributions.StudentT": lambda: {"nu": 3.0, "scale": 1.0},
    "distributions.Tabulated": lambda: {"axes": (np.linspace(-3.0, 3.0, 7),), "values": np.array([0, 1, 2, 3, 2, 1, 0.0]) / 9},
    "distributions.Uniform": lambda: {"half_width": 2.0},
    "distributions.omega": lambda: {"s": np.linspace(0.0, 2.0, 5), "dim": 2},
    "distributions.radial_mass": lambda: {"r": np.linspace(0.0, 3.0, 7), "g": np.linspace(1.0, 0.0, 7), "dim": 2},
    "distributions.save_tabulated": lambda: {"path": _tmp() / "rho.csv",
                                             "rho": nf.distributions.Tabulated((np.linspace(-3.0, 3.0, 7),), np.array([0, 1, 2, 3, 2, 1, 0.0]) / 9)},
    "distributions.sphere_area": lambda: {"dim": 2},
    "distributions.uniform_ball": lambda: {"radius": 2.0, "dim": 2},
    # kernels
    "kernels.DecayFit": lambda: _fields(nf.kernels.fit_decay(np.arange(1.0, 9.0), np.exp(-np.arange(1.0, 9.0)))),
    "kernels.EffectiveDensities": lambda: _fields(_effective()),
    "kernels.KernelOperator": lambda: _fields(_operator()),
    "kernels.Profiles": lambda: _fields(nf.kernels.profiles(np.linspace(-1, 1, 5), (8,))),
    "kernels.Spectrum": lambda: _fields(nf.periodic_spectrum(nf.distributions.Gaussian(2.0), 2 * math.pi, 4)),
    "kernels.StructuredKernelOperator": lambda: {"theta": _toeplitz()},
    "kernels.ToeplitzNTK": lambda: {"rho": nf.distributions.Gaussian(2.0), "sigma_a": 1.0, "part": "full",
                                    "x": np.linspace(-1, 1, 9)[:, None], "grid": nf.kernels.uniform_grid(np.linspace(-1, 1, 9)[:, None])},
    "kernels.UniformGrid": lambda: _fields(nf.kernels.uniform_grid(np.linspace(-1, 1, 9)[:, None])),
    "kernels.box_quadrature": lambda: {"lower": -1.0, "upper": 1.0, "n": 4},
    "kernels.check_weights": lambda: {"weights": np.full(5, 0.2), "n": 5},
    "kernels.decay": lambda: {"t": 0.5, "lam": np.array([1.0, 0.5])},
    "kernels.dense_bytes": lambda: {"n_points": 100, "dim": 1},
    "kernels.dominant_frequency": lambda: {"vectors": np.linalg.eigh(_gram())[1], "x": _x()},
    "kernels.effective_densities": lambda: {"rho": nf.distributions.Gaussian(2.0), "xi": np.linspace(0, 4, 5),
                                            "hidden": (8,), "n_z": 256},
    "kernels.empirical_ntk": lambda: {"network": _network(), "params": _params(), "x1": _x()},
    "kernels.fit_decay": lambda: {"frequency": np.arange(1.0, 9.0), "eigenvalue": np.exp(-np.arange(1.0, 9.0))},
    "kernels.half_lattice": lambda: {"kmax": 3, "dim": 2},
    "kernels.kernel_gd": lambda: {"theta_gram": _gram(), "u0": np.sin(_x()[:, 0]), "eta": 0.1, "steps": [0, 2, 4]},
    "kernels.kernel_operator": lambda: {"rho": nf.distributions.Gaussian(2.0), "sigma_a": 1.0, "part": "full", "x": _x()},
    "kernels.lanczos_functions": lambda: {"apply": lambda v: _gram() @ v, "v0": np.ones(5),
                                          "functions": [lambda lam: np.exp(-lam)]},
    "kernels.mlp_on_embedding": lambda: {"c": _x() @ _x().T, "xx": np.ones(5), "hidden": (8,)},
    "kernels.monte_carlo_ntk": lambda: {"network": _network(), "x1": _x(), "x2": _x(),
                                        "key": __import__("jax").random.PRNGKey(0), "n_draws": 4},
    "kernels.nystrom_spectrum": lambda: {"kernel_fn": lambda a, b: np.exp(a @ b.T - 1),
                                         "nodes": nf.kernels.box_quadrature(-1.0, 1.0, 6)[0],
                                         "weights": nf.kernels.box_quadrature(-1.0, 1.0, 6)[1]},
    "kernels.piecewise_linear_char_fn": lambda: {"rho": nf.distributions.Tabulated((np.linspace(-3.0, 3.0, 7),), np.array([0, 1, 2, 3, 2, 1, 0.0]) / 9),
                                                 "z": np.linspace(0, 2, 5)},
    "kernels.profiles": lambda: {"c": np.linspace(-1, 1, 5), "hidden": (8,)},
    "kernels.snapshot_steps": lambda: {"times": [0.0, 0.5, 1.0], "eta": 0.25},
    "kernels.sphere_multiplicity": lambda: {"dim": 2, "k": np.arange(4)},
    "kernels.sphere_spectrum": lambda: {"kernel_fn": lambda a, b: np.exp(a @ b.T - 1), "dim": 2, "kmax": 4},
    "kernels.stability_limit": lambda: {"theta_gram": _gram()},
    "kernels.tridiagonal_functions": lambda: {"alpha": np.array([2.0, 2.0, 2.0]), "beta": np.array([0.5, 0.5]),
                                              "functions": [lambda lam: np.exp(-lam)]},
    "kernels.two_layer_ntk": lambda: {"x1": _x(), "x2": _x()},
    "kernels.two_layer_stax": lambda: {},
    "kernels.uniform_grid": lambda: {"x": _x()},
    "kernels.uniform_spacing": lambda: {"x": _x()},
    # networks
    "networks.FourierEmbedding": lambda: {"frequencies": (1.0, 2.0)},
    "networks.MLP": lambda: {"hidden": (8,)},
    "networks.Network": lambda: _fields(_network()),
    "networks.PDECoefficients": lambda: {"xi": np.linspace(0, 2, 3), "alpha": np.ones(3), "D": np.ones(3)},
    "networks.ff_mlp_network": lambda: {"rho": nf.distributions.Gaussian(2.0), "width": 8, "hidden": (8,)},
    "networks.ff_network": lambda: {"rho": nf.distributions.Gaussian(2.0), "sigma_a": 1.0, "width": 8},
    "networks.mlp_network": lambda: {"dim": 1, "hidden": (8,)},
    "networks.mlp_ntk": lambda: {"x1": _x(), "x2": _x(), "depth": 2},
    "networks.two_layer_network": lambda: {"dim": 1, "width": 8},
    # losses
    "losses.Loss": lambda: {}, "losses.loss": lambda: {"spec": "mse"},
    "losses.DifferentialOperator": lambda: {"terms": (((2,), -1.0),)},
    "losses.parse_operator_loss": lambda: {"spec": "screened-poisson:1"},
    "losses.residual_data": lambda: {"loss": nf.losses.ScreenedPoisson(mu=1.0), "x": _x(),
                                     "target": nf.target("windowed-sines:1;width=1.0")},
    "kernels.moment_limit": lambda: {"rho": nf.distributions.Gaussian(2.0)},
    "kernels.check_moments": lambda: {"rho": nf.distributions.Gaussian(2.0), "order": 2},
    "kernels.frequency_rule": lambda: {"rho": nf.distributions.Gaussian(2.0), "x": _x()},
    "losses.apply_operator": lambda: {"L": nf.losses.DifferentialOperator((((2,), -1.0),)),
                                      "g": lambda p: __import__("jax").numpy.sin(p[:, 0]), "x": _x()},
    # pde
    "pde.Domain": lambda: {"shape": "box", "radius": 4.0, "dim": 1},
    "pde.FrequencySolution": lambda: _fields(_pde_solution()),
    "pde.breakpoints": lambda: {"rho": nf.distributions.Uniform(3.0)},
    "pde.coefficients": lambda: {"rho": nf.distributions.Gaussian(2.0), "sigma_a": 1.0, "density": 0.1,
                                 "xi": np.linspace(0, 4, 5)},
    "pde.default_domain": lambda: {"rho": nf.distributions.Gaussian(2.0)},
    "pde.memory_estimate": lambda: {"n_dofs": 100, "dim": 1, "order": 2, "n_times": 5, "scheme": "cn",
                                    "solver": "direct"},
    # training
    "training.Fit": lambda: {"steps": np.array([0, 2]), "outputs": np.zeros((2, 5)), "params": [], "loss": np.ones(2)},
    "training.RegimeTrace": lambda: {"ntk_change": np.zeros(2), "ntk_change_stderr": np.zeros(2),
                                     "param_distance": np.zeros(2), "linearisation_gap": np.zeros(2),
                                     "points": 5, "n_inputs": 5},
    "training.TrainResult": lambda: _fields(_train_result()),
    "training.check_representable": lambda: {"name": "y", "values": np.ones(5), "dtype": "float32"},
    "training.check_training_cost": lambda: {"what": "training", "n_params": 100, "n_points": 16, "steps": 10,
                                             "hint": "reduce it"},
    "training.empirical_lambda_max": lambda: {"network": _network(), "params": _params(), "x": _x(), "iterations": 5},
    "training.estimated_seconds": lambda: {"width": 8, "n_points": 16, "steps": 10, "dtype": "float32"},
    "training.fit": lambda: {"network": _network(), "params": _params(), "x": _x(), "y": np.sin(_x()[:, 0]),
                             "optimizer": _sgd(), "snapshot_steps": [0, 2], "progress": False, "regime": False},
    "training.frobenius_estimates": lambda: {"A": np.eye(4), "n_inputs": 8},
    "training.merged_apply": lambda: {"apply": _network().apply},
    "training.network_lambda_max": lambda: {"network": _network(), "params": _params(), "x": _x()},
    "training.noisy_labels": lambda: {"labels": np.array([0, 1, 0, 1, 1]), "n_classes": 2, "fraction": 0.2},
    "training.ntk_gram_fn": lambda: {"f": _network().apply, "n_out": 1},
    "training.one_hot": lambda: {"labels": np.array([0, 1, 0, 1, 1]), "n_classes": 2},
    "training.regime_option": lambda: {"regime": True},
    "training.regime_probe": lambda: {"f": _network().apply, "theta0": _params(), "x": _x()},
    "training.regime_trace": lambda: {"rows": [[0.0, 0.0, 0.0, 0.0], [0.01, 0.0, 0.02, 0.01]],
                                      "probe": nf.training.regime_probe(_network().apply, _params(), _x())},
    "training.relative_change": lambda: {"theta_t": np.eye(5), "theta_0": np.eye(5) * 1.1, "n_inputs": 5},
    "training.subsample": lambda: {"n_inputs": 10, "points": 3},
    # comparison
    "comparison.ComparisonSetup": lambda: _fields(nf.comparison.comparison_setup(_problem(), routes=("kernel",))),
    "comparison.RhoComparison": lambda: _fields(_comparison().results[0]),
    "comparison.WidthStudy": lambda: {"rho": "gaussian:3", "spec": {}, "widths": np.array([16, 32]),
                                      "gaps": np.array([[0.3], [0.2]]), "gap": np.array([0.3, 0.2]),
                                      "exponent": -0.5, "prefactor": 1.0},
    "comparison.check_cost": lambda: {"network": nf.FourierFeatures(width=16), "n_points": 16, "steps": 4},
    "comparison.check_pde_options": lambda: {"options": {}},
    "comparison.compare_settings": lambda: {"settings": _settings(), "progress": False},
    "comparison.comparison_setup": lambda: {"problems": _problem(), "routes": ("kernel",)},
    "comparison.fit_power_law": lambda: {"m": np.array([16.0, 32.0, 64.0]), "gap": np.array([0.4, 0.28, 0.2])},
    "comparison.kernel_route": lambda: {"rho": nf.distributions.Gaussian(2.0), "sigma_a": 1.0, "part": "full",
                                        "x": _x(), "u0": np.sin(_x()[:, 0]), "eta": 0.1, "times": [0.0, 1.0]},
    "comparison.network_pde": lambda: {"network": nf.FourierFeatures(sigma_a=1.0, width=16), "rho": nf.distributions.Uniform(3.0),
                                       "density": 0.1, "y": nf.data.WindowedSines([2.0], width=1.0),
                                       "times": [0.0, 1.0], "options": {"max_dofs": 400}},
    "comparison.nn_route": lambda: {"problem": _problem(), "key": __import__("jax").random.PRNGKey(0), "progress": False},
    "comparison.parse_rhos": lambda: {"rhos": ["gaussian:3"]},
    "comparison.pde_route": lambda: {"rho": nf.distributions.Uniform(3.0), "sigma_a": 1.0, "part": "full",
                                     "density": 0.1, "y": nf.data.WindowedSines([2.0], width=1.0),
                                     "times": [0.0, 1.0], "options": {"max_dofs": 400}},
    "comparison.problems_from_settings": lambda: {"settings": nf.experiments.default_settings(quick=True)},
    "comparison.read_point": lambda: {"path": _point_file()},
    "comparison.settings_record": lambda: {"problem": _problem()},
    "comparison.stable_flows": lambda: {"op": _operator(), "u0": np.sin(_x()[:, 0]), "eta": 0.1, "times": [0.0, 1.0],
                                        "check_eta": True, "what": "the fuzz case"},
    "comparison.warn_e3_gap": lambda: {"rho": nf.distributions.Gaussian(2.0), "e3": np.ones((2, 5)),
                                       "kernel": np.ones((2, 5)), "dim": 1},
    "comparison.write_dataset": lambda: {"path": _tmp() / "written.nc", "ds": _dataset()},
    # design
    "design.DampingMap": lambda: {"h": 0.1, "n": 8, "mlp": {}},
    "design.DeepDesign": lambda: {**_fields(_design()), "network": {}, "atom": 0.0,
                                  "alpha_wanted": np.ones(3), "alpha": np.ones(3)},
    "design.Design": lambda: _fields(_design()),
    "design.PDECheck": lambda: {"times": np.ones(3), "resolution": 1e-4, "resolution_tol": 1e-3, "dofs": 100},
    "design.ProductDesign": lambda: {**{k: v for k, v in _fields(_design()).items()
                                        if k in ("sigma_a", "density", "epsilon", "times", "baselines",
                                                 "iterations", "residual", "tol")},
                                     "rho": nf.distributions.Product((nf.distributions.Gaussian(1.0),) * 2),
                                     "objectives": (_objective(),) * 2, "xi": (np.ones(3),) * 2,
                                     "wanted": (np.ones(3),) * 2},
    "design.RateProfile": lambda: {"r": 1.0, "band": (0.0, 4.0)},
    "design.ReachByTime": lambda: {"band": (0.0, 4.0), "epsilon": 0.1, "T": 50.0},
    "design.band_measure": lambda: {"band": (0.0, 4.0)},
    "design.check_feasible": lambda: {"objective": _objective(), "density": 0.1},
    "design.design_deep_rho": lambda: {"objective": _objective(), "density": 0.1, "hidden": (8,), "n_points": 41,
                                       "max_iter": 3, "tol": 1.0},
    "design.design_product_rho": lambda: {"objectives": (_objective(), _objective()), "sigma_a": 1.0,
                                          "density": 0.1, "n_points": 21, "max_iter": 3, "n_times": 21, "cells": 4,
                                          "tol": 1.0},
    "design.first_passage": lambda: {"t": np.array([0.0, 1.0, 2.0]), "fractions": np.array([[1.0] * 5, [0.5] * 5, [0.05] * 5]),
                                     "epsilon": 0.1},
    "design.frozen_rho": lambda: {"tau": np.linspace(1.0, 2.0, 5), "epsilon": 0.1, "density": 0.1},
    "design.frozen_time": lambda: {"alpha": np.linspace(0.5, 1.0, 5), "epsilon": 0.1, "density": 0.1},
    "design.learning_times": lambda: {"rho": nf.distributions.Gaussian(2.0), "sigma_a": 1.0, "density": 0.1,
                                      "xi": np.linspace(0.5, 4.0, 5), "epsilon": 0.1, "t_max": 20.0, "n_steps": 20},
    "design.make_objective": lambda: {"kind": "reach", "band": (0.0, 4.0), "epsilon": 0.1, "T": 50.0},
    "design.pde_check": lambda: {"design": _design(), "n_directions": 1, "n_times": 5, "max_dofs": 400},
    "design.remaining_fractions": lambda: {"rho": nf.distributions.Gaussian(2.0), "sigma_a": 1.0, "density": 0.1,
                                           "xi": np.linspace(0.5, 4.0, 5), "t_max": 2.0, "n_steps": 20},
    "design.unit_directions": lambda: {"n": 3, "dim": 2},
    # diagnostics
    "diagnostics.FilteredErrors": lambda: {"delta": 0.1, "e_low": np.ones(2), "e_high": np.ones(2), "high_fraction": 0.5},
    "diagnostics.InterpolationSpectra": lambda: {"k": np.arange(3), "within": np.ones(3), "across": np.ones(3),
                                                 "bands": ((1, 2),), "band_power": {}, "n_pairs": 4},
    "diagnostics.KernelRegime": lambda: {"ntk_change": np.zeros(2), "param_distance": np.zeros(2),
                                         "linearisation_gap": np.zeros(2), "flow_gap": None, "threshold": 0.1, "worst": 0.0},
    "diagnostics.ModeCurves": lambda: {"times": np.ones(2), "lam": np.ones(3), "measured": np.ones((2, 3)),
                                       "predicted": np.ones((2, 3))},
    "diagnostics.NTKModes": lambda: {"lam": np.ones(3), "V": np.eye(3), "projection": np.ones(3)},
    "diagnostics.check_filter_width": lambda: {"delta": 0.3, "nn": 0.1, "diameter": 4.0},
    "diagnostics.class_pairs": lambda: {"labels": np.array([0, 1, 0, 1, 1]), "n_pairs": 2},
    "diagnostics.data_scale": lambda: {"x": _xdiag()},
    "diagnostics.delta_f": lambda: {"predictions": VALID["predictions"](), "y": np.sin(np.linspace(-2, 2, 40)),
                                    "x": _xdiag(), "xi": np.array([1.0, 3.0])},
    "diagnostics.diagnose": lambda: {"arrays": {"inputs": _xdiag(), "targets": np.sin(3 * np.linspace(-2, 2, 40)),
                                                "predictions": VALID["predictions"]()},
                                     "out": _tmp() / "diagnose"},
    "diagnostics.filtered_errors": lambda: {"predictions": VALID["predictions"](), "y": np.sin(np.linspace(-2, 2, 40)),
                                            "x": _xdiag(), "delta": 0.3},
    "diagnostics.fit_exponent": lambda: {"k": np.arange(1.0, 6.0), "values": np.arange(1.0, 6.0) ** -2},
    "diagnostics.gaussian_filter_weights": lambda: {"x": _xdiag(), "delta": 0.3},
    "diagnostics.interpolation_spectra": lambda: {"apply_fn": _network().apply, "params": _params(), "x": _x(),
                                                  "labels": np.array([0, 1, 0, 1, 1]), "n_pairs": 2, "n_points": 9},
    "diagnostics.kernel_predict": lambda: {"theta_test_train": _gram(), "theta_train_train": _gram(),
                                           "residual0": np.sin(_x()[:, 0]), "times": [0.0, 1.0]},
    "diagnostics.kernel_regime": lambda: {"apply_fn": _network().apply, "snapshots": [_params(), _params()], "x": _x()},
    "diagnostics.learning_time": lambda: {"times": np.array([0.0, 1.0, 2.0]), "remaining": VALID["remaining"]()},
    "diagnostics.load_arrays": lambda: {"npz": _npz_file()},
    "diagnostics.low_pass": lambda: {"values": np.sin(np.linspace(-2, 2, 40)), "x": _xdiag(), "delta": 0.3},
    "diagnostics.mode_learning_curves": lambda: {"theta_gram": _gram(), "errors": np.ones((3, 5)),
                                                 "times": [0.0, 1.0, 2.0]},
    "diagnostics.mode_study": lambda: {"net": _circle()[5], "res": _circle()[4], "X": _circle()[1],
                                       "y": _circle()[2], "times": _circle()[3], "n_modes": 2},
    "diagnostics.ntk_modes": lambda: {"theta_gram": _gram(), "y": np.sin(_x()[:, 0])},
    "diagnostics.path_power_spectrum": lambda: {"outputs": np.sin(np.linspace(0, 6, 16))[None, :]},
    "diagnostics.relu_sphere_spectrum": lambda: {"kmax": 4, "b_std": 0.0},
    "diagnostics.spectral_peaks": lambda: {"y": np.sin(3 * np.linspace(-2, 2, 40)), "x": _xdiag(), "xi_max": 10.0},
    "diagnostics.train_on_circle": lambda: {"ks": (1,), "amplitude": 1.0, "width": 16, "n_points": 16, "b_std": 0.0,
                                            "t_max": 1.0, "n_snapshots": 2, "progress": False},
    # experiments
    "experiments.Dimension": lambda: {"name": "sigma_a", "fields": ("sigma_a",), "values": (0.5, 1.0)},
    "experiments.NamedExperiment": lambda: {"name": "x", "description": "x", "entry": "x"},
    "experiments.Run": lambda: {"path": _tmp(), "result": None, "summary": {}},
    "experiments.SweepResult": lambda: {"path": _tmp(), "dataset": None, "computed": 0, "reused": 0, "seconds": 1.0},
    "experiments.SweepSpec": lambda: _fields(_sweep_spec()),
    "experiments.affordable_width": lambda: {"width": 64, "depth": 2, "steps": 100},
    "experiments.cached": lambda: {"name": "default", "out": _tmp()},
    "experiments.check_point": lambda: {"settings": nf.experiments.default_settings(quick=True)},
    "experiments.check_resources": lambda: {"spec": _sweep_spec(), "out": _tmp() / "sweep"},
    "experiments.combine": lambda: {"spec": _sweep_spec(), "out": _tmp() / "sweep-empty"},
    "experiments.comparison_arrays": lambda: {"cmp": _comparison()},
    "experiments.comparison_caption": lambda: {"spec": _comparison().spec, "final_time": 1.0},
    "experiments.compilation_cache_env": lambda: {"out": _tmp()},
    "experiments.compilation_cache_options": lambda: {"out": _tmp()},
    "experiments.compute_point": lambda: {"settings": _settings(), "key": "0" * 16},
    "experiments.default_out": lambda: {"config_path": _tmp() / "c.toml"},
    "experiments.default_run_name": lambda: {},
    "experiments.default_settings": lambda: {},
    "experiments.e_folding_time": lambda: {"times": np.array([0.0, 1.0, 2.0]), "remaining": VALID["remaining"]()},
    "experiments.experiment_settings": lambda: {},
    "experiments.folder_lock": lambda: {"out": _tmp()},
    "experiments.gallery_settings": lambda: {},
    "experiments.learning_curve_summary": lambda: {"ds": _curve_dataset()},
    "experiments.learning_curve_table": lambda: {"summary": nf.experiments.learning_curve_summary(_curve_dataset())},
    "experiments.learning_time": lambda: {"u_hat": np.exp(-np.outer([0.0, 1.0, 2.0], np.ones(5))),
                                          "times": np.array([0.0, 1.0, 2.0])},
    "experiments.listing": lambda: {},
    "experiments.load_config": lambda: {"path": _text_file("config.toml", CONFIG_TOML)},
    "experiments.load_sweep_config": lambda: {"path": _text_file("sweep.toml", SWEEP_TOML)},
    "experiments.packet": lambda: {"centre": 3.0},
    "experiments.parse_config": lambda: {"config": {"fixed": {"rhos": ["gaussian:3"]}, "grid": {"sigma_a": [0.5, 1.0]}}},
    "experiments.point_nbytes": lambda: {"settings": nf.experiments.default_settings(quick=True)},
    "experiments.point_path": lambda: {"out": _tmp(), "key": "0" * 16},
    "experiments.prepare_folder": lambda: {"spec": _sweep_spec(), "out": _tmp() / "sweep"},
    "experiments.read_toml": lambda: {"path": _text_file("config.toml", CONFIG_TOML)},
    "experiments.result_path": lambda: {"name": "default", "out": _tmp()},
    "experiments.run_learning_curve": lambda: {"problem": _problem(), "out": _tmp(), "n": [4, 8], "progress": False},
    "experiments.run_width_study": lambda: {"problem": _problem(), "out": _tmp(), "widths": (8, 16), "seeds": (0,),
                                            "progress": False},
    "experiments.sigma_a_config": lambda: {},
    "experiments.spec_hash": lambda: {"record": _problem().record()},
    "experiments.summary_table": lambda: {"summary": {"spec": _comparison().spec, "rho": _comparison().summary()}},
    "experiments.sweep_summary": lambda: {"result": nf.experiments.SweepResult(_tmp(), _dataset(), 1, 0, 1.0)},
    "experiments.target_label": lambda: {"record": _problem().record()},
    "experiments.width_problem": lambda: {"settings": nf.experiments.width_settings(quick=True)},
    "experiments.width_settings": lambda: {},
    # generalisation
    "generalisation.Eigenlearning": lambda: _fields(nf.generalisation.eigenlearning([1.0, 0.5], [0.5, 0.5], 4)),
    "generalisation.MonteCarlo": lambda: {"n": np.array([4]), "times": np.array([np.inf]), "test_error": np.ones((1, 1)),
                                          "train_error": np.ones((1, 1)), "mode_error": None, "band_error": np.ones((1, 1, 1))},
    "generalisation.Population": lambda: _fields(_population()),
    "generalisation.band_edges": lambda: {"bands": [0.0, 2.0, 4.0]},
    "generalisation.default_bands": lambda: {"problem": _problem()},
    "generalisation.default_nodes": lambda: {"problem": _problem()},
    "generalisation.eigenlearning": lambda: {"eigenvalues": [1.0, 0.5], "target_power": [0.5, 0.5], "n": 4},
    "generalisation.kernel_regression": lambda: {"population": _population(), "n": [4], "draws": 2, "progress": False},
    "generalisation.nystrom": lambda: {"kernel": lambda a, b: np.exp(a @ b.T - 1),
                                       "nodes": nf.kernels.box_quadrature(-1.0, 1.0, 8)[0],
                                       "weights": nf.kernels.box_quadrature(-1.0, 1.0, 8)[1],
                                       "sample": lambda rng, n: rng.uniform(-1, 1, (n, 1)),
                                       "target": lambda x: np.sin(x[:, 0])},
    "generalisation.problem_density": lambda: {"problem": _problem()},
    "generalisation.problem_population": lambda: {"problem": _problem(), "nodes": 16},
    "generalisation.sphere_population": lambda: {"kernel": lambda a, b: np.exp(a @ b.T - 1), "dim": 2,
                                                 "target": lambda x: x[:, 0], "kmax": 4, "test_points": 20},
    "generalisation.uniform_sphere": lambda: {"rng": np.random.default_rng(0), "n": 4, "dim": 2},
    # plotting helpers that draw nothing
    "plotting.axis_line": lambda: {"field": np.ones((4, 4)), "axis": 0, "dim": 2},
    "plotting.effective_rate": lambda: {"u_hat": np.exp(-np.outer([0.0, 1.0], np.ones(5))) + 0j, "t": 1.0},
    "plotting.epsilon_label": lambda: {"epsilon": 0.1},
    "plotting.plane": lambda: {"field": np.ones((4, 4)), "dim": 2},
    "plotting.rho_label": lambda: {"spec": "gaussian:3"},
    "plotting.shell_average": lambda: {"radius": np.linspace(0, 2, 5), "values": np.ones(5), "edges": np.array([0.0, 1.0, 2.5])},
    "plotting.snapshot_indices": lambda: {"n_times": 10},
}


@functools.cache
def _effective():
    return nf.kernels.effective_densities(nf.distributions.Gaussian(2.0), np.linspace(0, 4, 5), (8,), n_z=256)


@functools.cache
def _operator():
    return nf.kernels.kernel_operator(nf.distributions.Gaussian(2.0), 1.0, "full", x=_x())


@functools.cache
def _toeplitz():
    x = np.linspace(-1, 1, 9)[:, None]
    return nf.kernels.ToeplitzNTK(nf.distributions.Gaussian(2.0), 1.0, "full", x, nf.kernels.uniform_grid(x))


@functools.cache
def _pde_solution():
    return nf.solve_frequency_pde(**OVERRIDES["solve_frequency_pde"]())


@functools.cache
def _sgd():
    import optax

    return optax.sgd(0.1)


@functools.cache
def _stored_results() -> Path:
    from ntk_freq.comparison import write_dataset

    return write_dataset(_tmp() / "stored.nc", _dataset())


@functools.cache
def _point_file() -> Path:
    from ntk_freq.comparison import point_bytes

    path = _tmp() / "point.npz"
    path.write_bytes(point_bytes(_dataset()))
    return path


@functools.cache
def _circle():
    from ntk_freq.diagnostics import train_on_circle

    return train_on_circle(**OVERRIDES["diagnostics.train_on_circle"]())


@functools.cache
def _curve_dataset():
    return nf.learning_curve(_problem(), [4, 8], progress=False)


@functools.cache
def _text_file(name: str, text: str) -> Path:
    """A scratch file ``name`` holding ``text`` (once per process)."""
    path = _tmp() / name
    path.write_text(text)
    return path


GRID_CSV = "x,density\n-1,0.5\n0,0.5\n1,0.5\n"
TARGET_PY = "import numpy as np\n\ndef target(x):\n    return np.sin(x[..., 0])\n"
CONFIG_TOML = 'rhos = ["gaussian:3"]\nsteps = 4\n'
SWEEP_TOML = '[fixed]\nrhos = ["gaussian:3"]\n\n[grid]\nsigma_a = [0.5, 1.0]\n'


@functools.cache
def _npz_file() -> Path:
    path = _tmp() / "arrays.npz"
    np.savez(path, **OVERRIDES["diagnostics.diagnose"]()["arrays"])
    return path


# --- hostile values --------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
HOSTILE = [
    NAN, INF, -INF, 0, 0.0, -1, -1.0, 2.5, 1e308, -1e-300, 10**30, 2**63, True, None, 1 + 2j,
    "abc", "3", np.array([]), np.zeros((0, 1)), np.full((5, 1), NAN), np.full(5, INF),
    np.ones((2, 2, 2)), np.array([[1e308], [-1e308]]), np.array([1 + 1j, 2]), [1.0, NAN], (),
]


def _id(value) -> str:
    return repr(value) if not isinstance(value, np.ndarray) else f"array{value.shape}"


CALLABLES = public_callables()
FUZZED = sorted(name for name in CALLABLES if name not in SKIP)


def _parameters(name: str) -> list[inspect.Parameter]:
    sig = inspect.signature(CALLABLES[name])
    return [p for p in sig.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def baseline(name: str) -> dict:
    """Valid arguments for every required parameter of ``name``."""
    if name in OVERRIDES:
        return OVERRIDES[name]()
    args = {}
    for p in _parameters(name):
        if p.default is p.empty:
            if p.name not in VALID:
                raise KeyError(f"no valid value for {name}({p.name}=...): add it to VALID or OVERRIDES")
            args[p.name] = VALID[p.name]()
    return args


def call(name: str, args: dict):
    """Call ``name`` with ``args``, positionally where the parameter cannot be named."""
    positional = [args.pop(p.name) for p in _parameters(name)
                  if p.kind is p.POSITIONAL_ONLY and p.name in args]
    return CALLABLES[name](*positional, **args)


def _all_finite(value, depth: int = 0) -> bool:
    """Whether an argument holds only finite numbers (then NaN out is nonsense, even from a record)."""
    if isinstance(value, (bool, str, type(None))) or callable(value) or depth > 2:
        return True
    if isinstance(value, dict):
        return all(_all_finite(v, depth + 1) for v in value.values())
    if isinstance(value, (tuple, list)) and not all(isinstance(v, (int, float)) for v in value):
        return all(_all_finite(v, depth + 1) for v in value)
    try:
        a = np.asarray(value)
    except Exception:  # noqa: BLE001
        return True
    return a.dtype.kind not in "fc" or bool(np.all(np.isfinite(a)))


def _screened(out, fields):
    """``out`` without the fields or keys where ALLOW_NONFINITE allows NaN and infinity."""
    if dataclasses.is_dataclass(out) and not isinstance(out, type):
        out = {f.name: getattr(out, f.name) for f in dataclasses.fields(out)}
    return {k: v for k, v in out.items() if k not in fields} if isinstance(out, dict) else out


def outcome(name: str, args: dict) -> str:
    """The classified outcome of calling ``name`` with ``args``."""
    fields = ALLOW_NONFINITE.get(name, ())
    allow = (name in ALLOW_NONFINITE and fields is None) or (
        name in RECORDS and not all(_all_finite(v) for v in args.values()))
    return classify(lambda: _screened(call(name, dict(args)), fields or ()), allow_nonfinite=allow)



@pytest.fixture(autouse=True)
def _scratch_directory(tmp_path, monkeypatch):
    """Run in a scratch folder: a hostile string accepted as a folder ("3", "abc") is written there."""
    monkeypatch.chdir(tmp_path)


def _check(name: str, label: str, result: str) -> None:
    if result.split(":")[0] not in ("ok", "refused"):
        raise AssertionError((label, result))


def _fuzz(name: str, data) -> None:
    params = _parameters(name)
    if not params:
        _check(name, name, outcome(name, {}))
        return
    target = data.draw(st.sampled_from([p.name for p in params]), label="parameter")
    value = data.draw(st.sampled_from(HOSTILE), label="value")
    _check(name, f"{name}({target}={_id(value)})", outcome(name, {**baseline(name), target: value}))


@pytest.mark.slow
@pytest.mark.parametrize("name", FUZZED)
def test_baselines(name):
    """The valid call runs and returns finite values (else its hostile cases test nothing)."""
    result = outcome(name, baseline(name))
    assert result == "ok", (name, result)


@pytest.mark.parametrize("name", FUZZED)
@settings(max_examples=2, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck),
          database=None)
@given(data=st.data())
def test_surface_fast(name, data):
    _fuzz(name, data)


@pytest.mark.slow
@pytest.mark.parametrize("name", FUZZED)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_surface_thorough(name, data):
    _fuzz(name, data)


def test_skip_table_names_public_callables():
    """Every skipped name is a public callable (a renamed one must leave the table)."""
    assert set(SKIP) <= set(CALLABLES), set(SKIP) - set(CALLABLES)
    assert set(RECORDS) <= set(CALLABLES) and set(ALLOW_NONFINITE) <= set(CALLABLES)
