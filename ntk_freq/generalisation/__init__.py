"""Generalisation: test error and learning curves from the kernel's spectrum, beside the exact
answer by Monte-Carlo kernel regression (docs/generalisation.md).

- :func:`eigenlearning`: the theory (κ, learnabilities, E_0, test error) from a spectrum you bring;
- :func:`learning_curve`: a :class:`ntk_freq.Problem`'s test error against the sample size n,
  the theory on the problem's own spectrum and Monte-Carlo kernel regression on many draws of n
  samples, with the gap between them;
- :func:`kernel_regression`: the Monte-Carlo route alone, for any kernel and sampler.

Every name loads its private module on first use."""

from ntk_freq._util.facade import lazy_facade

#: public name -> the private module it lives in
_HOMES = {
    **dict.fromkeys(["Eigenlearning", "TruncatedSpectrumWarning", "UnlearnableTargetWarning",
                     "eigenlearning"],
                    "ntk_freq.generalisation._eigenlearning"),
    **dict.fromkeys(["QUANTILES", "band_edges", "default_bands", "learning_curve"],
                    "ntk_freq.generalisation._curve"),
    **dict.fromkeys(["MonteCarlo", "kernel_regression"], "ntk_freq.generalisation._monte_carlo"),
    **dict.fromkeys(["Population", "default_nodes", "nystrom", "problem_density",
                     "problem_population", "TargetPowerWarning", "sphere_population",
                     "uniform_sphere"], "ntk_freq.generalisation._population"),
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_facade(__name__, _HOMES)
