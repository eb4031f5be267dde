"""A loss from its spec: ``"mse"`` or an operator loss (:mod:`ntk_freq.losses._operator`)."""

from __future__ import annotations

from ntk_freq.losses._mse import Loss, MeanSquared
from ntk_freq.losses._operator import parse_operator_loss

#: Loss specs of the CLI and TOML configs that take no parameter (operator losses:
#: :data:`ntk_freq.losses.OPERATOR_LOSSES`).
LOSSES = {"mse": MeanSquared}


def loss(spec) -> Loss:
    """A loss object from its spec ("mse", "screened-poisson:1", "sobolev:1",
    "poisson;boundary=10", …: :mod:`ntk_freq.losses._operator`) or a :class:`Loss` as it is."""
    if isinstance(spec, Loss):
        return spec
    if isinstance(spec, str) and spec.strip() in LOSSES:
        return LOSSES[spec.strip()]()
    if isinstance(spec, str):
        return parse_operator_loss(spec.strip())
    raise TypeError(f"loss must be a spec such as 'mse' or 'screened-poisson:1', or a "
                    f"ntk_freq.losses.Loss, got {spec!r}")
