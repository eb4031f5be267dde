"""ntk-freq: how neural networks learn each frequency in the neural tangent kernel regime.

Importing the package leaves JAX's settings alone (``jnp.ones(2).dtype`` is what it was
before). Theory code computes in float64 all the same: each function that computes with JAX
enters JAX's 64-bit mode for its own call (``jax.enable_x64`` as a context), and training runs
in the dtype it is asked for (:mod:`ntk_freq._precision`). The package does not import JAX until
a name that needs it is used, so ``ntk-freq --help`` starts without it. Conventions and
symbols: docs/theory.md.

Public names are imported on first use (PEP 562), so ``import ntk_freq`` and the ``ntk-freq``
command start quickly; ``dir(ntk_freq)`` and ``ntk_freq.__all__`` list them all.
"""

import importlib
import os
import sys
import types

try:  # the one version literal is pyproject.toml's, read back from the installed metadata
    __version__ = importlib.import_module("importlib.metadata").version("ntk-freq")
except ModuleNotFoundError:  # PackageNotFoundError: a source tree that was never installed
    __version__ = "0+unknown"

# public name -> (module, attribute), in pipeline order
_PUBLIC = {
    "Cauchy": ("distributions", "Cauchy"),
    "distribution": ("distributions", "distribution"),
    "Empirical": ("distributions", "Empirical"),
    "FrequencyDistribution": ("distributions", "FrequencyDistribution"),
    "Gaussian": ("distributions", "Gaussian"),
    "Laplace": ("distributions", "Laplace"),
    "Mixture": ("distributions", "Mixture"),
    "Product": ("distributions", "Product"),
    "save_tabulated": ("distributions", "save_tabulated"),
    "Shift": ("distributions", "Shift"),
    "StudentT": ("distributions", "StudentT"),
    "Tabulated": ("distributions", "Tabulated"),
    "Uniform": ("distributions", "Uniform"),
    "empirical_ntk": ("kernels", "empirical_ntk"),
    "ff_ntk": ("kernels", "ff_ntk"),
    "monte_carlo_ntk": ("kernels", "monte_carlo_ntk"),
    "two_layer_ntk": ("kernels", "two_layer_ntk"),
    "neural_tangents_mode": ("_nt", "mode"),
    "NeuralTangentsUnavailable": ("_nt", "NeuralTangentsUnavailable"),
    "box_quadrature": ("spectra", "box_quadrature"),
    "DecayFit": ("spectra", "DecayFit"),
    "fit_decay": ("spectra", "fit_decay"),
    "gram_spectrum": ("spectra", "gram_spectrum"),
    "nystrom_spectrum": ("spectra", "nystrom_spectrum"),
    "periodic_spectrum": ("spectra", "periodic_spectrum"),
    "Spectrum": ("spectra", "Spectrum"),
    "sphere_spectrum": ("spectra", "sphere_spectrum"),
    "fourier_transform": ("fourier", "fourier_transform"),
    "frequency_grid": ("fourier", "frequency_grid"),
    "midpoint_grid": ("fourier", "midpoint_grid"),
    "initial_error_hat": ("targets", "initial_error_hat"),
    "load_target": ("targets", "load_target"),
    "WindowedSines": ("targets", "WindowedSines"),
    "data_density": ("data", "data_density"),
    "DataDensity": ("data", "DataDensity"),
    "PointMeasure": ("data", "PointMeasure"),
    "ProductDensity": ("data", "ProductDensity"),
    "FrequencySolution": ("pde", "FrequencySolution"),
    "solve_frequency_pde": ("pde", "solve_frequency_pde"),
    "kernel_flow": ("training", "kernel_flow"),
    "KernelOperator": ("training", "KernelOperator"),
    "kernel_gd": ("training", "kernel_gd"),
    "stability_limit": ("training", "stability_limit"),
    "train": ("training", "train"),
    "TrainingDiverged": ("training", "TrainingDiverged"),
    "TrainResult": ("training", "TrainResult"),
    "compare": ("compare", "compare"),
    "Comparison": ("compare", "Comparison"),
    "RhoComparison": ("compare", "RhoComparison"),
    "width_study": ("compare", "width_study"),
    "WidthStudy": ("compare", "WidthStudy"),
    "experiment_settings": ("experiments", "experiment_settings"),
    "EXPERIMENTS": ("experiments", "EXPERIMENTS"),
    "run_experiment": ("experiments", "run_experiment"),
    "Design": ("design", "Design"),
    "design_rho": ("design", "design_rho"),
    "RateProfile": ("design", "RateProfile"),
    "ReachByTime": ("design", "ReachByTime"),
    "design_product_rho": ("design", "design_product_rho"),
    "ProductDesign": ("design", "ProductDesign"),
    "Radial": ("radial", "Radial"),
    "open_results": ("results", "open_results"),
    "ff_mlp_ntk": ("deep", "ff_mlp_ntk"),
    "effective_densities": ("deep", "effective_densities"),
    "EffectiveDensities": ("deep", "EffectiveDensities"),
}

__all__ = sorted(_PUBLIC, key=str.lower)


def __getattr__(name: str):
    if name in _PUBLIC:
        module, attr = _PUBLIC[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError:
        raise AttributeError(f"module 'ntk_freq' has no attribute {name!r}") from None


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))


class _Package(types.ModuleType):
    """This package's module type. ``ntk_freq.compare`` names the function
    :func:`ntk_freq.compare.compare`, the public entry point; the import system would bind the
    submodule of the same name there once it is imported, and that binding is ignored (the
    submodule stays reachable as ``sys.modules["ntk_freq.compare"]``)."""

    @property
    def compare(self):
        return importlib.import_module(".compare", __name__).compare

    @compare.setter
    def compare(self, submodule):
        pass


sys.modules[__name__].__class__ = _Package
