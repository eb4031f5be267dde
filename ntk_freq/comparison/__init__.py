"""The comparison of routes on one problem: ``compare(problem)`` (PDE, kernel flow, kernel GD map,
trained network) and its labelled results, width studies.

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(
        [
            "Comparison",
            "ComparisonSetup",
            "PDE_MODELS",
            "RhoComparison",
            "WidthStudy",
            "check_cost",
            "check_pde_options",
            "compare",
            "compare_settings",
            "comparison_setup",
            "fit_power_law",
            "kernel_route",
            "network_pde",
            "nn_route",
            "parse_rhos",
            "pde_route",
            "problems_from_settings",
            "settings_record",
            "stable_flows",
            "warn_e3_gap",
            "width_study",
        ],
        "ntk_freq.comparison._compare",
    ),
    **dict.fromkeys(
        [
            "ROUTES",
            "comparison_dataset",
            "dataset_bytes",
            "decode_complex",
            "encode_complex",
            "label",
            "open_results",
            "point_bytes",
            "read_point",
            "write_dataset",
        ],
        "ntk_freq.comparison._results",
    ),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
