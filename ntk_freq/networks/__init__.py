"""Network objects of a :class:`ntk_freq.Problem`: each gives the finite network (init, apply),
its exact NTK for any ρ_w and its frequency PDE's coefficients."""

from ._fourier_features import (DTYPES, NETWORKS, DeepFourierFeatures, FourierFeatures,
                                PDECoefficients)

__all__ = ["DTYPES", "NETWORKS", "DeepFourierFeatures", "FourierFeatures", "PDECoefficients"]
