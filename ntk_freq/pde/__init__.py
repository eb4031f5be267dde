"""The frequency-dynamics PDE (docs/theory.md, (E3)) solved by finite elements with scikit-fem:
coefficients (:mod:`.fem`), truncation domains and meshes (:mod:`.mesh`), time integration
(:mod:`.time`) and the end-to-end :func:`solve_frequency_pde` (:mod:`.solve`)."""

from .fem import PARTS, coefficients
from .mesh import Domain, breakpoints, default_domain
from .solve import FrequencySolution, memory_estimate, solve_frequency_pde
from .time import SCHEMES

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
