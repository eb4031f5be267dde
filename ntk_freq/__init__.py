"""ntk-freq: how neural networks learn each frequency in the neural tangent kernel regime.

Theory code runs in float64, so importing the package turns on JAX's 64-bit mode (training can
still ask for float32 explicitly). Conventions and symbols: THEORY.md.
"""

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

from .distributions import (  # noqa: E402
    Cauchy,
    distribution,
    Empirical,
    FrequencyDistribution,
    Gaussian,
    Laplace,
    Mixture,
    Product,
    save_tabulated,
    Shift,
    StudentT,
    Tabulated,
    Uniform,
)
from .kernels import empirical_ntk, ff_ntk, monte_carlo_ntk, two_layer_ntk  # noqa: E402
from ._nt import mode as neural_tangents_mode, NeuralTangentsUnavailable  # noqa: E402
from .spectra import (  # noqa: E402
    box_quadrature,
    DecayFit,
    fit_decay,
    gram_spectrum,
    nystrom_spectrum,
    periodic_spectrum,
    Spectrum,
    sphere_spectrum,
)
from .fourier import fourier_transform, frequency_grid, midpoint_grid  # noqa: E402
from .targets import initial_error_hat, load_target, WindowedSines  # noqa: E402
from .data import data_density, DataDensity, PointMeasure  # noqa: E402
from .pde import FrequencySolution, solve_frequency_pde  # noqa: E402
from .training import (  # noqa: E402
    kernel_flow,
    KernelOperator,
    kernel_gd,
    stability_limit,
    train,
    TrainingDiverged,
    TrainResult,
)
from .compare import compare, Comparison, RhoComparison, width_study, WidthStudy  # noqa: E402
from .experiments import experiment_settings, EXPERIMENTS, run_experiment  # noqa: E402
from .design import Design, design_rho, RateProfile, ReachByTime  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "box_quadrature",
    "Cauchy",
    "compare",
    "Comparison",
    "data_density",
    "DataDensity",
    "DecayFit",
    "Design",
    "design_rho",
    "distribution",
    "Empirical",
    "empirical_ntk",
    "experiment_settings",
    "EXPERIMENTS",
    "ff_ntk",
    "fit_decay",
    "fourier_transform",
    "frequency_grid",
    "FrequencyDistribution",
    "FrequencySolution",
    "Gaussian",
    "gram_spectrum",
    "initial_error_hat",
    "kernel_flow",
    "kernel_gd",
    "KernelOperator",
    "Laplace",
    "load_target",
    "midpoint_grid",
    "Mixture",
    "monte_carlo_ntk",
    "neural_tangents_mode",
    "NeuralTangentsUnavailable",
    "nystrom_spectrum",
    "periodic_spectrum",
    "PointMeasure",
    "Product",
    "RateProfile",
    "ReachByTime",
    "RhoComparison",
    "run_experiment",
    "save_tabulated",
    "Shift",
    "solve_frequency_pde",
    "Spectrum",
    "sphere_spectrum",
    "stability_limit",
    "StudentT",
    "Tabulated",
    "train",
    "TrainingDiverged",
    "TrainResult",
    "two_layer_ntk",
    "Uniform",
    "width_study",
    "WidthStudy",
    "WindowedSines",
]
