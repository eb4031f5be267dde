"""Loss objects: what a :class:`ntk_freq.Problem`'s network is trained on.

The mean-squared loss, and operator losses (PINN residuals L f − s, Sobolev H^s losses, with an
optional boundary term) with their weight q(ξ) = Σ_k |P_k(ξ)|² on the error's spectrum
(docs/operator-losses.md).
"""

from ntk_freq.losses._mse import Loss, MeanSquared
from ntk_freq.losses._operator import (OPERATOR_LOSSES, Advection, DifferentialOperator, Heat,
                                       Helmholtz, OperatorLoss, Poisson, Residual, ScreenedPoisson,
                                       ResidualData, Sobolev, apply_operator,
                                       boundary_points, residual_apply, residual_data,
                                       parse_operator_loss)
from ntk_freq.losses._spec import LOSSES, loss

__all__ = ["LOSSES", "OPERATOR_LOSSES", "Advection", "DifferentialOperator", "Heat", "Helmholtz",
           "Loss", "MeanSquared", "OperatorLoss", "Poisson", "Residual", "ResidualData", "ScreenedPoisson",
           "Sobolev", "apply_operator", "boundary_points", "loss", "parse_operator_loss",
           "residual_apply", "residual_data"]
