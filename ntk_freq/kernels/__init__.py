"""Kernels: the FF-NN's closed-form NTK for any ρ_w, two-layer and deep (multi-layer FF) kernels
through neural-tangents, empirical and Monte-Carlo NTKs, spectra (Gram, Nyström, periodic,
sphere), the structured (FFT + Lanczos) operator on grids, the kernel flow, and the operator-applied
kernels and residual flow of operator losses (PINN, Sobolev).

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(
        [
            "empirical_ntk",
            "ff_ntk",
            "monte_carlo_ntk",
            "two_layer_ntk",
            "two_layer_stax",
            "uniform_spacing",
        ],
        "ntk_freq.kernels._closed_form",
    ),
    **dict.fromkeys(
        [
            "EffectiveDensities",
            "Profiles",
            "effective_densities",
            "ff_mlp_ntk",
            "mlp_on_embedding",
            "piecewise_linear_char_fn",
            "profiles",
        ],
        "ntk_freq.kernels._deep",
    ),
    **dict.fromkeys(
        ["decay", "lanczos_functions", "tridiagonal_functions"], "ntk_freq.kernels._krylov"
    ),
    **dict.fromkeys(
        ["FrequencyRule", "KernelRules", "ResidualFlow", "check_moments", "checked_rules",
         "ff_rules", "frequency_rule", "moment_limit", "operator_flow", "operator_gram",
         "tabulated_rule"],
        "ntk_freq.kernels._operator_kernels",
    ),
    **dict.fromkeys(
        ["KernelOperator", "kernel_flow", "kernel_gd", "snapshot_steps", "stability_limit"],
        "ntk_freq.kernels._operator",
    ),
    **dict.fromkeys(
        [
            "DECAY_LAWS",
            "DecayFit",
            "Spectrum",
            "box_quadrature",
            "dominant_frequency",
            "fit_decay",
            "gram_spectrum",
            "half_lattice",
            "nystrom_spectrum",
            "periodic_spectrum",
            "sphere_multiplicity",
            "sphere_spectrum",
        ],
        "ntk_freq.kernels._spectra",
    ),
    **dict.fromkeys(
        [
            "StructuredKernelOperator",
            "ToeplitzNTK",
            "UniformGrid",
            "check_weights",
            "dense_bytes",
            "kernel_operator",
            "uniform_grid",
        ],
        "ntk_freq.kernels._structured",
    ),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
