"""Training: one full-batch gradient-descent core for every network (optax optimisers allowed),
divergence detection, and the kernel-regime diagnostics.

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(
        ["Fit", "LOSSES", "fit", "load_digits", "noisy_labels", "one_hot"],
        "ntk_freq.training._fitting",
    ),
    **dict.fromkeys(
        [
            "LazyRegimeWarning",
            "RegimeTrace",
            "frobenius_estimates",
            "ntk_gram_fn",
            "regime_option",
            "regime_probe",
            "regime_trace",
            "relative_change",
            "subsample",
        ],
        "ntk_freq.training._regime",
    ),
    **dict.fromkeys(
        [
            "DTYPES",
            "TrainResult",
            "TrainingDiverged",
            "check_representable",
            "check_training_cost",
            "empirical_lambda_max",
            "estimated_seconds",
            "merged_apply",
            "network_lambda_max",
            "train",
        ],
        "ntk_freq.training._train",
    ),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
