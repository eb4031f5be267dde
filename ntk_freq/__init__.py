"""ntk-freq: how neural networks learn each frequency in the neural tangent kernel regime.

Theory code runs in float64, so importing the package turns on JAX's 64-bit mode (training can
still ask for float32 explicitly). Conventions and symbols: THEORY.md.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # neural-tangents drags TensorFlow in

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

from .distributions import (  # noqa: E402
    Cauchy,
    Empirical,
    FrequencyDistribution,
    Gaussian,
    Laplace,
    Mixture,
    Product,
    Shift,
    StudentT,
    Tabulated,
    Uniform,
    distribution,
    save_tabulated,
)

from .compare import Comparison, RhoComparison, WidthStudy, compare, width_study  # noqa: E402
from .experiments import EXPERIMENTS, experiment_settings, run_experiment  # noqa: E402
from .training import (  # noqa: E402
    TrainingDiverged,
    TrainResult,
    kernel_flow,
    kernel_gd,
    stability_limit,
    train,
)
from .design import Design, RateProfile, ReachByTime, design_rho  # noqa: E402
from .kernels import empirical_ntk, ff_ntk, monte_carlo_ntk, two_layer_ntk  # noqa: E402
from .spectra import (  # noqa: E402
    DecayFit,
    Spectrum,
    box_quadrature,
    fit_decay,
    gram_spectrum,
    nystrom_spectrum,
    periodic_spectrum,
    sphere_spectrum,
)

from .fourier import fourier_transform, frequency_grid, midpoint_grid  # noqa: E402
from .pde import FrequencySolution, solve_frequency_pde  # noqa: E402
from .targets import WindowedSines, initial_error_hat, load_target  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "FrequencySolution",
    "WindowedSines",
    "fourier_transform",
    "frequency_grid",
    "initial_error_hat",
    "load_target",
    "midpoint_grid",
    "solve_frequency_pde",
    "DecayFit",
    "Spectrum",
    "box_quadrature",
    "empirical_ntk",
    "ff_ntk",
    "fit_decay",
    "gram_spectrum",
    "monte_carlo_ntk",
    "nystrom_spectrum",
    "periodic_spectrum",
    "sphere_spectrum",
    "two_layer_ntk",
    "Cauchy",
    "Empirical",
    "FrequencyDistribution",
    "Gaussian",
    "Laplace",
    "Mixture",
    "Product",
    "Shift",
    "StudentT",
    "Tabulated",
    "Uniform",
    "distribution",
    "save_tabulated",
    "Design",
    "RateProfile",
    "ReachByTime",
    "design_rho",
    "Comparison",
    "RhoComparison",
    "WidthStudy",
    "compare",
    "width_study",
    "EXPERIMENTS",
    "experiment_settings",
    "run_experiment",
    "TrainingDiverged",
    "TrainResult",
    "kernel_flow",
    "kernel_gd",
    "stability_limit",
    "train",
]
