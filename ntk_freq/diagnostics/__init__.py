"""Spectral-bias diagnostics on any network: Fourier measures of learning, filtering and
interpolation spectra, the classic experiments, and ``ntk-freq diagnose`` on saved predictions.

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(
        [
            "fridovich_digits",
            "lazy_map",
            "mode_study",
            "rahaman_sines",
            "relu_sphere_spectrum",
            "ronen_sphere",
            "train_on_circle",
            "xu_digits",
        ],
        "ntk_freq.diagnostics._classics",
    ),
    **dict.fromkeys(["diagnose", "load_arrays"], "ntk_freq.diagnostics._diagnose"),
    **dict.fromkeys(
        [
            "FilteredErrors",
            "InterpolationSpectra",
            "KernelRegime",
            "ModeCurves",
            "NTKModes",
            "check_filter_width",
            "class_pairs",
            "data_scale",
            "delta_f",
            "filtered_errors",
            "fit_exponent",
            "gaussian_filter_weights",
            "interpolation_spectra",
            "kernel_predict",
            "kernel_regime",
            "learning_time",
            "low_pass",
            "mode_learning_curves",
            "ntk_modes",
            "path_power_spectrum",
            "spectral_peaks",
        ],
        "ntk_freq.diagnostics._spectral_bias",
    ),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
