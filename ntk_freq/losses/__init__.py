"""Loss objects: what a :class:`ntk_freq.Problem`'s network is trained on.

Today the mean-squared loss; operator losses (PINN residuals, Sobolev weights) subclass
:class:`Loss` with their weight q(ξ) = |P(ξ)|² on the error's spectrum.
"""

from ntk_freq.losses._mse import LOSSES, Loss, MeanSquared, loss

__all__ = ["LOSSES", "Loss", "MeanSquared", "loss"]
