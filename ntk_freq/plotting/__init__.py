"""One figure style for every figure of the package.

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(
        [
            "axis_line",
            "effective_rate",
            "plane",
            "plot_direction_rates",
            "plot_spectrum_panels",
            "shell_average",
            "snapshot_indices",
        ],
        "ntk_freq.plotting._nd",
    ),
    **dict.fromkeys(
        [
            "caption",
            "epsilon_label",
            "figure",
            "plot_design",
            "plot_learning_curves",
            "plot_spectrum",
            "plot_spectrum_heatmaps",
            "plot_width_study",
            "rho_label",
            "save_figure",
            "styled",
        ],
        "ntk_freq.plotting._style",
    ),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
