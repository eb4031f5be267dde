"""``design_rho``: one entry point for every network a problem can hold."""

from __future__ import annotations

from ntk_freq.design._deep import design_deep_rho
from ntk_freq.design._design import design_rho as design_two_layer_rho
from ntk_freq.networks import DeepFourierFeatures, FourierFeatures


def design_rho(objective, *, problem=None, network=None, sigma_a: float | None = None,
               density: float | None = None, dim: int | None = None, **options):
    """Design ρ_w for ``objective`` (:class:`ntk_freq.design.RateProfile` or
    :class:`ntk_freq.design.ReachByTime`) for the network of a problem.

    The network says which design runs: a :class:`ntk_freq.FourierFeatures` network (σ_a
    from it, W trained) designs under (E3) in d = 1, 2, 3
    (:func:`ntk_freq.design._design.design_rho`); a :class:`ntk_freq.DeepFourierFeatures`
    network with ``train_frequencies=False`` designs its damping density in d = 1
    (:func:`ntk_freq.design.design_deep_rho`).

    Args:
        objective: the wanted learning-rate profile or reach.
        problem: a :class:`ntk_freq.Problem`: its network, its data density c (the training
            measure's level, 1/|D| on the grid of D) and its dimension.
        network: the network, when no problem is given.
        sigma_a: the two-layer network's σ_a, the former way to ask (no network).
        density: the data density c = 1/|D| (with ``network`` or ``sigma_a``).
        dim: the input dimension (default 1; with ``network`` or ``sigma_a``).
        **options: the chosen design's options (``n_points``, ``tol``, ``max_iter``, ``loss``
            (an operator loss: the design solves (E3_L); a problem brings its own), …).

    Returns:
        A :class:`ntk_freq.design.Design` (two-layer) or :class:`ntk_freq.design.DeepDesign`.

    Examples:
        >>> import ntk_freq as nf
        >>> d = nf.design_rho(nf.design.RateProfile(1.0, (0, 4), absolute=False),
        ...                   network=nf.FourierFeatures(sigma_a=0.5), density=0.05)
        >>> d.residual <= 0.03
        True
    """
    given = [name for name, value in (("problem", problem), ("network", network),
                                      ("sigma_a", sigma_a)) if value is not None]
    if len(given) != 1:
        raise TypeError(f"design_rho takes exactly one of problem, network or sigma_a, got {given}")
    if problem is not None:
        if density is not None or dim is not None:
            raise TypeError("with a problem, its data density and dimension are used: leave "
                            "density and dim out")
        network, density, dim = problem.network, problem.measure.level, problem.dim
        if problem.loss.spec != "mse":  # an operator loss: the design solves (E3_L)
            options = {"loss": problem.loss, **options}
    if density is None:
        raise TypeError("design_rho needs the data density c = 1/|D| (density=...) or a problem")
    dim = 1 if dim is None else dim
    if sigma_a is not None:
        network = FourierFeatures(sigma_a=sigma_a)
    if isinstance(network, DeepFourierFeatures):
        if options.get("loss") is not None:
            raise ValueError("operator losses are designed for the two-layer FourierFeatures network")
        if network.train_frequencies or dim != 1:
            raise ValueError("the deep design is for W frozen in d = 1: use "
                             "DeepFourierFeatures(train_frequencies=False) and dim = 1")
        return design_deep_rho(objective, density=density, hidden=network.hidden,
                               activation=network.activation, w_std=network.w_std,
                               b_std=network.b_std, **options)
    if not isinstance(network, FourierFeatures):
        raise TypeError(f"network must be FourierFeatures or DeepFourierFeatures, got {network!r}")
    if network.part != "full":
        raise ValueError(f"the two-layer design is for every parameter trained (part='full'), "
                         f"got part={network.part!r}")
    return design_two_layer_rho(objective, sigma_a=network.sigma_a, density=density, dim=dim,
                                **options)
