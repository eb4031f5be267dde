"""Initialisation design: the ρ_w that gives a wanted learning-rate profile, for two-layer and deep
FF-NNs.

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(
        ["DampingMap", "DeepDesign", "design_deep_rho", "frozen_time"], "ntk_freq.design._deep"
    ),
    **dict.fromkeys(
        [
            "Design",
            "PDECheck",
            "ProductDesign",
            "RateProfile",
            "ReachByTime",
            "band_measure",
            "check_feasible",
            "design_product_rho",
            "first_passage",
            "frozen_rho",
            "learning_times",
            "make_objective",
            "pde_check",
            "remaining_fractions",
            "trained_times",
            "unit_directions",
        ],
        "ntk_freq.design._design",
    ),
}

_HOMES["design_rho"] = "ntk_freq.design._entry"

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
