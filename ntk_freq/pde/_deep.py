"""The frequency PDE of the deep Fourier-feature network: (E3) with its effective densities."""

from __future__ import annotations
from ntk_freq._util import validation as v
from ntk_freq.kernels._deep import EffectiveDensities


def solve_deep_frequency_pde(eff: EffectiveDensities, density: float, u0_hat, times, **options):
    """(E3) for a deep FF-NN: ∂_t û = c (2π) [∂_ξ(ρ_D ∂_ξ û) − ρ_α û] with the effective
    densities ``eff`` (:func:`effective_densities`), by :func:`ntk_freq.pde.solve_frequency_pde`
    (its ``options`` pass on; ``part`` follows ``train_frequencies``). The damping density is
    handed over as the tabulated distribution ρ_α/A with data density c·A (A = ∫ρ_α on the grid),
    the diffusion as ρ_D/A. The atom κ(0)δ(ξ) of ρ_α (a constant part of the kernel, which in
    the local limit p ≡ c acts on ξ = 0 alone) is not part of the PDE."""
    from ntk_freq.pde import solve_frequency_pde

    if not isinstance(eff, EffectiveDensities):
        raise TypeError(f"eff must be ntk_freq.kernels._deep.EffectiveDensities, got {eff!r}")
    density = v.positive("density", density)
    damping, mass = eff.damping_distribution()
    part = "full" if eff.spec["train_frequencies"] else "readout"
    return solve_frequency_pde(damping, 1.0, density * mass, u0_hat=u0_hat, times=times, part=part,
                               diffusion=lambda xi: eff.rho_D(xi) / mass, **options)
