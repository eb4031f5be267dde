"""ntk-freq: how neural networks learn each frequency in the neural tangent kernel regime.

One :class:`Problem` (ρ_w, network, loss, data, target, schedule) is read by every route:
``compare(problem)`` runs the frequency PDE, the exact kernel flow and a trained network on it.
The top level holds the names a study starts from; everything else lives in its subpackage
(``ntk_freq.distributions``, ``data``, ``networks``, ``kernels``, ``losses``, ``training``,
``pde``, ``generalisation``, ``diagnostics``, ``comparison``, ``design``, ``plotting``, ``experiments``).

Importing the package leaves JAX's settings alone (``jnp.ones(2).dtype`` is what it was
before). Theory code computes in float64 all the same: each function that computes with JAX
enters JAX's 64-bit mode for its own call (``jax.enable_x64`` as a context), and training runs
in the dtype it is asked for. Names are imported on first use (PEP 562), so ``import ntk_freq``
and ``ntk-freq --help`` start without JAX; ``dir(ntk_freq)`` and ``ntk_freq.__all__`` list them.
Names and module paths of the 0.1 layout still work for one release, with a DeprecationWarning
(:mod:`ntk_freq._util.deprecations`). Conventions and symbols: docs/theory.md.
"""

import importlib
import sys
import warnings

from ntk_freq._util.deprecations import install_moved_modules



def _version() -> str:
    """The installed package's version: pyproject.toml holds the one literal, read back from
    the package metadata (on first use of ``__version__``: importlib.metadata costs ~20 ms)."""
    try:
        return importlib.import_module("importlib.metadata").version("ntk-freq")
    except ModuleNotFoundError:  # PackageNotFoundError: a source tree that was never installed
        return "0+unknown"

#: The subpackages (facades over private modules), from the bottom layer up.
SUBPACKAGES = ("plotting", "distributions", "data", "kernels", "training", "pde", "networks",
               "losses", "generalisation", "diagnostics", "comparison", "design", "experiments")

# public name -> module, in pipeline order
_PUBLIC = {
    "Problem": "ntk_freq.problem",
    "Schedule": "ntk_freq.problem",
    "FourierFeatures": "ntk_freq.networks",
    "DeepFourierFeatures": "ntk_freq.networks",
    "MeanSquared": "ntk_freq.losses",
    "distribution": "ntk_freq.distributions",
    "data_density": "ntk_freq.data",
    "target": "ntk_freq.data",
    "fourier_transform": "ntk_freq.data",
    "ff_ntk": "ntk_freq.kernels",
    "ff_mlp_ntk": "ntk_freq.kernels",
    "gram_spectrum": "ntk_freq.kernels",
    "periodic_spectrum": "ntk_freq.kernels",
    "kernel_flow": "ntk_freq.kernels",
    "train": "ntk_freq.training",
    "solve_frequency_pde": "ntk_freq.pde",
    "learning_curve": "ntk_freq.generalisation",
    "compare": "ntk_freq.comparison",
    "Comparison": "ntk_freq.comparison",
    "width_study": "ntk_freq.comparison",
    "open_results": "ntk_freq.comparison",
    "design_rho": "ntk_freq.design",
    "run_experiment": "ntk_freq.experiments",
}

#: Names the top level held before the move -> their subpackage (DeprecationWarning).
_MOVED_TOP = {
    "Cauchy": "ntk_freq.distributions", "Empirical": "ntk_freq.distributions",
    "FrequencyDistribution": "ntk_freq.distributions", "Gaussian": "ntk_freq.distributions",
    "Laplace": "ntk_freq.distributions", "Mixture": "ntk_freq.distributions",
    "Product": "ntk_freq.distributions", "save_tabulated": "ntk_freq.distributions",
    "Shift": "ntk_freq.distributions", "StudentT": "ntk_freq.distributions",
    "Tabulated": "ntk_freq.distributions", "Uniform": "ntk_freq.distributions",
    "Radial": "ntk_freq.distributions",
    "empirical_ntk": "ntk_freq.kernels", "monte_carlo_ntk": "ntk_freq.kernels",
    "two_layer_ntk": "ntk_freq.kernels", "box_quadrature": "ntk_freq.kernels",
    "DecayFit": "ntk_freq.kernels", "fit_decay": "ntk_freq.kernels",
    "nystrom_spectrum": "ntk_freq.kernels", "Spectrum": "ntk_freq.kernels",
    "sphere_spectrum": "ntk_freq.kernels", "KernelOperator": "ntk_freq.kernels",
    "kernel_gd": "ntk_freq.kernels", "stability_limit": "ntk_freq.kernels",
    "effective_densities": "ntk_freq.kernels", "EffectiveDensities": "ntk_freq.kernels",
    "neural_tangents_mode": ("ntk_freq._nt", "mode"),
    "NeuralTangentsUnavailable": "ntk_freq._nt",
    "frequency_grid": "ntk_freq.data", "midpoint_grid": "ntk_freq.data",
    "initial_error_hat": "ntk_freq.data", "load_target": "ntk_freq.data",
    "WindowedSines": "ntk_freq.data", "DataDensity": "ntk_freq.data",
    "PointMeasure": "ntk_freq.data", "ProductDensity": "ntk_freq.data",
    "FrequencySolution": "ntk_freq.pde",
    "TrainingDiverged": "ntk_freq.training", "TrainResult": "ntk_freq.training",
    "RhoComparison": "ntk_freq.comparison", "WidthStudy": "ntk_freq.comparison",
    "experiment_settings": "ntk_freq.experiments", "EXPERIMENTS": "ntk_freq.experiments",
    "Design": "ntk_freq.design", "RateProfile": "ntk_freq.design",
    "ReachByTime": "ntk_freq.design", "design_product_rho": "ntk_freq.design",
    "ProductDesign": "ntk_freq.design",
}

__all__ = [*_PUBLIC, "__version__"]

install_moved_modules(__name__, SUBPACKAGES)


def __getattr__(name: str):
    if name == "__version__":
        value = _version()
    elif name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif name in SUBPACKAGES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _MOVED_TOP:
        module, attr = _MOVED_TOP[name] if isinstance(_MOVED_TOP[name], tuple) else (_MOVED_TOP[name], name)
        warnings.warn(f"ntk_freq.{name} moved to {module}.{attr}; the top-level name goes in the "
                      "next release", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), attr)
    elif f"{__name__}.{name}" in sys.modules:  # a moved module path (``import ntk_freq.models``)
        return sys.modules[f"{__name__}.{name}"]
    else:
        raise AttributeError(f"module 'ntk_freq' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC) | set(SUBPACKAGES))
