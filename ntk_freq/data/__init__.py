"""Data: data densities and point measures of the training points, windowed-sines and other
targets, and the quadrature Fourier transform of sampled functions.

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(
        [
            "Cells",
            "DataDensity",
            "GaussianData",
            "LAYOUTS",
            "PointMeasure",
            "ProductDensity",
            "SPEC_HELP",
            "box",
            "data_density",
            "grid",
            "load_grid",
            "measured_spectrum",
            "pieces",
            "tensor_rule",
            "training_measure",
        ],
        "ntk_freq.data._density",
    ),
    **dict.fromkeys(
        [
            "fourier_transform",
            "frequency_grid",
            "grid_cell_volume",
            "midpoint_grid",
            "relative_l2",
            "remaining_fraction",
        ],
        "ntk_freq.data._fourier",
    ),
    **dict.fromkeys(
        ["FunctionTarget", "WindowedSines", "initial_error_hat", "load_target", "target"],
        "ntk_freq.data._targets",
    ),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
