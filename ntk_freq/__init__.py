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

__version__ = "0.1.0"

__all__ = [
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
]
