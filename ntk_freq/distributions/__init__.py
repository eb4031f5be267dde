"""Frequency distributions ρ_w on R^d: the families (Gaussian, uniform, Laplace, Cauchy,
Student-t), mixtures, shifts, products, radial, tabulated and empirical forms, and the spec
parser (``distribution("gaussian:3")``).

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(
        [
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
            "is_isotropic",
            "save_tabulated",
        ],
        "ntk_freq.distributions._families",
    ),
    **dict.fromkeys(
        ["Radial", "omega", "radial_mass", "sphere_area", "uniform_ball"],
        "ntk_freq.distributions._radial",
    ),
    **dict.fromkeys(["SPEC_HELP", "distribution"], "ntk_freq.distributions._spec"),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
