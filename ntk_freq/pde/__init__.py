"""The frequency-dynamics PDE (docs/theory.md, (E3)) solved by finite elements with scikit-fem:
coefficients (:mod:`.fem`), truncation domains and meshes (:mod:`.mesh`), time integration
(:mod:`.time`) and the end-to-end :func:`solve_frequency_pde` (:mod:`.solve`)."""

from ntk_freq.pde.fem import PARTS, coefficients
from ntk_freq.pde.mesh import Domain, breakpoints, default_domain
from ntk_freq.pde._solution import FrequencySolution
from ntk_freq.pde.solve import memory_estimate, solve_frequency_pde
from ntk_freq.pde.time import SCHEMES

__all__ = [
    "PARTS",
    "SCHEMES",
    "Domain",
    "FrequencySolution",
    "breakpoints",
    "coefficients",
    "default_domain",
    "memory_estimate",
    "solve_frequency_pde",
]
