"""Experiments: the run presets and the named paper experiments (one registry), the gallery, and
parameter sweeps on Dask.

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(
        [
            "ACTIVATIONS",
            "affordable_width",
            "depth_profile",
            "plot_depth_profile",
            "profile_table",
            "trained_times",
        ],
        "ntk_freq.experiments._deep",
    ),
    **dict.fromkeys(
        ["density_law", "e_folding_time", "packet", "plot_density_law", "reproduce_basri_density"],
        "ntk_freq.experiments._density_law",
    ),
    **dict.fromkeys(
        [
            "design_demo",
            "gallery_settings",
            "learning_time",
            "plot_half_lives",
            "plot_remaining_along",
            "rho_gallery",
            "sigma_a_config",
            "sigma_a_effect",
            "width_convergence",
            "width_problem",
            "width_settings",
        ],
        "ntk_freq.experiments._gallery",
    ),
    **dict.fromkeys(["NamedExperiment", "REGISTRY"], "ntk_freq.experiments._registry"),
    **dict.fromkeys(
        ["cached", "listing", "reproduce", "reproduce_all", "result_path"],
        "ntk_freq.experiments._reproduce",
    ),
    **dict.fromkeys(
        [
            "EXPERIMENTS",
            "Run",
            "comparison_arrays",
            "comparison_caption",
            "default_run_name",
            "default_settings",
            "experiment_settings",
            "learning_curve_summary",
            "learning_curve_table",
            "load_config",
            "read_toml",
            "reproduce_default",
            "run_experiment",
            "run_learning_curve",
            "run_width_study",
            "summary_table",
            "target_label",
            "write_figures",
            "write_figures_nd",
        ],
        "ntk_freq.experiments._run",
    ),
    **dict.fromkeys(
        [
            "Dimension",
            "SweepResult",
            "SweepSpec",
            "check_point",
            "check_resources",
            "combine",
            "compilation_cache_env",
            "compilation_cache_options",
            "compute_point",
            "connect",
            "default_out",
            "folder_lock",
            "load_sweep_config",
            "parse_config",
            "point_nbytes",
            "point_path",
            "prepare_folder",
            "run_sweep",
            "spec_hash",
            "sweep_summary",
            "use_compilation_cache",
        ],
        "ntk_freq.experiments._sweep",
    ),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
