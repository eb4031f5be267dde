"""The loss objects of a :class:`ntk_freq.Problem`.

A loss says what the network is trained to match. Every loss in the kernel regime acts on the
error's spectrum through a non-negative weight q(ξ): the per-frequency rate of the frequency
PDE is q(ξ)·ρ̄_w(ξ) (docs/theory.md). The mean-squared loss has q ≡ 1. An operator loss
(a PINN residual L f − s with symbol P(ξ), or a Sobolev weight) has q = |P|²; it is a new
subclass of :class:`Loss` with its own ``q`` and ``spec``, read by the same routes
(:mod:`ntk_freq.losses._operator`).
"""

from __future__ import annotations

import dataclasses

import numpy as np


class Loss:
    """Base of the loss objects: ``q(xi)``, the weight on the error's spectrum (shape of ξ
    without its last axis), and ``spec``, the loss as the CLI and TOML configs write it."""

    spec: str

    def q(self, xi) -> np.ndarray:  # pragma: no cover - every loss defines it
        raise NotImplementedError

    def record(self) -> dict:
        """The loss as JSON: its spec and its fields."""
        return {"spec": self.spec, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class MeanSquared(Loss):
    """The mean-squared loss (1/2N) Σ_i (f(x_i) − y_i)², optionally with loss weights q_i
    (the data layout "weights"): q(ξ) ≡ 1.

    Examples:
        >>> from ntk_freq.losses import MeanSquared
        >>> MeanSquared().q([[0.0], [7.0]]).tolist()
        [1.0, 1.0]
    """

    spec = "mse"

    def q(self, xi) -> np.ndarray:
        xi = np.asarray(xi, dtype=np.float64)
        return np.ones(xi.shape[:-1] if xi.ndim > 1 else xi.shape)
