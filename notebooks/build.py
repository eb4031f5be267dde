"""Build the notebooks from their cells here, execute them, and store them with their outputs.

    python notebooks/build.py            # rewrite notebooks/*.ipynb (executed)
    python notebooks/build.py --check    # exit 1 if a stored notebook's cells differ from these

The tests run ``--check`` (the stored notebooks are up to date with this file) and execute the
notebooks themselves. Only the public API of ntk_freq is used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

DEFAULT_EXPERIMENT = [
    ("markdown", """# The default experiment, step by step

How fast does a Fourier-feature network learn each frequency of its target, and does the theory
predict it? This notebook walks through the main job (`ntk-freq run`) with small settings, using
only the public API of `ntk_freq`:

1. the frequency distribution ρ_w and the target's spectrum;
2. the neural tangent kernel Θ(x, x') = φ_w(x − x')(1 + σ_a² x·x') on the data, its stability
   limit and the exact kernel flow;
3. the frequency PDE solved by finite elements;
4. a finite-width network trained by gradient descent;
5. all three routes for both ρ_w, with the package's figures.

Conventions (angular frequencies, t = η · step, c = 1/|D|) are in `docs/theory.md`."""),
    ("code", """import jax
import matplotlib.pyplot as plt
import numpy as np
import ntk_freq as nf

settings = nf.experiments.experiment_settings("quick")   # the default experiment, smaller network
problems, options = nf.comparison.problems_from_settings(settings)   # one Problem per ρ_w
p = problems[0]
rho_g, rho_u = (q.rho_w for q in problems)
y_fn = p.target_fn   # the target 'windowed-sines:2,7;width=1.5'
print([q.rho for q in problems], p.network, p.schedule)"""),
    ("markdown", """## 1. ρ_w and the target

The target is y(x) = e^{−x²/2w²}(sin 2x + sin 7x): its transform has bumps at ξ = 2 and ξ = 7.
Frequency ξ is learned at a rate ∝ ρ̄_w(ξ): the Gaussian ρ_w (s = 3) puts e^{−(49−4)/18} ≈ 8 %
as much mass at ξ = 7 as at ξ = 2; the uniform ρ_w on [−10, 10] puts the same mass on both."""),
    ("code", """xi = np.linspace(0, 12, 400)
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(xi, rho_g.symmetrised_pdf(xi), label="ρ̄_w, gaussian:3")
ax.plot(xi, rho_u.symmetrised_pdf(xi), label="ρ̄_w, uniform:10")
ax2 = ax.twinx()
ax2.plot(xi, np.abs(y_fn.fourier(xi)), "k--", label="|ŷ(ξ)|")
ax.set_xlabel("angular frequency ξ"); ax.set_ylabel("ρ̄_w(ξ)"); ax2.set_ylabel("|ŷ(ξ)|")
ax.legend(loc="upper right"); ax2.legend(loc="center right")
plt.show()
print("rho_g(7)/rho_g(2) =", float(rho_g.pdf(np.array([7.0]))[0] / rho_g.pdf(np.array([2.0]))[0]))"""),
    ("markdown", """## 2. The kernel on the data and the exact kernel flow

N points fill D = [−L, L] (a cell-centred grid, data density c = 1/|D|). Gradient descent on the
mean loss is stable for η < 2/λ_max(Θ(X, X)/N); the kernel flow is u(t) = exp(−tΘ/N)u₀ with
u₀ = −y (the doubling makes the initial network output zero)."""),
    ("code", """L, N = p.half_width, p.n_points
sigma_a, eta, steps = p.network.sigma_a, p.schedule.eta, p.schedule.steps
x, dx = nf.data.midpoint_grid(L, N)
y = y_fn(x)
times = eta * np.arange(0, steps + 1, steps // 15)
theta = nf.ff_ntk(x, x, rho_g, sigma_a=sigma_a)
op = nf.kernels.KernelOperator.from_gram(theta)
print(f"largest stable step 2/λ_max = {op.stability_limit:.3f}; we use η = {eta}, up to t = {times[-1]:g}")
u_kernel = op.flow(-y, times)
kappa = np.array([2.0, 7.0])
left = nf.fourier_transform(u_kernel, x, kappa, cell_volume=dx)
print("kernel flow, remaining |û(κ,t)|/|û(κ,0)| at the final time:", np.abs(left[-1] / left[0]).round(4))"""),
    ("markdown", """## 3. The frequency PDE

(E3): ∂_t û = c(2π)[σ_a² ∂_ξ(ρ̄_w ∂_ξ û) − ρ̄_w û], û(ξ, 0) = −ŷ(ξ), by finite elements. It
predicts the same remaining fractions as the kernel flow on the data."""),
    ("code", """sol = nf.solve_frequency_pde(rho_g, sigma_a, 1 / (2 * L), u0_hat=nf.data.initial_error_hat(y_fn),
                             times=times)
fig, ax = plt.subplots(figsize=(6, 3.2))
for t in times[::5]:
    ax.semilogy(xi, np.abs(sol(xi, t)), label=f"t = {t:g}")
ax.set_xlabel("angular frequency ξ"); ax.set_ylabel("|û(ξ, t)|"); ax.set_ylim(1e-4, 3)
ax.set_title("frequency PDE, gaussian:3"); ax.legend()
plt.show()
pde_left = np.abs(sol(kappa, times[-1]) / sol(kappa, 0.0))
print("PDE, remaining at κ = 2, 7:", pde_left.round(4))"""),
    ("markdown", """## 4. A trained network

The FF-NN of width m with the doubling initialisation (f₀ ≡ 0), trained by full-batch gradient
descent in float32; its error on the grid is recorded at the same flow times."""),
    ("code", """net = p.network.finite(rho_g)   # FourierFeatures(sigma_a, width, part="full") as a JAX network
fit = nf.train(net, net.init(jax.random.PRNGKey(settings["seed"])), x, y=y, eta=eta, times=times,
               dtype="float32", progress=False)
nn_left = nf.fourier_transform(fit.u, x, kappa, cell_volume=dx)
print("network, remaining at κ = 2, 7:", np.abs(nn_left[-1] / nn_left[0]).round(4))
gap = np.linalg.norm(fit.u - u_kernel, axis=1) / np.linalg.norm(y)
print("‖u_nn − u_kernel‖/‖y‖ at the final time:", round(float(gap[-1]), 4))"""),
    ("markdown", """## 5. All three routes, both ρ_w

`nf.compare(problems)` runs the routes for each problem (here one per ρ_w) and returns the
spectra on a common ξ grid, the
relative L² gaps and the remaining fractions at the target frequencies; the package's figures
show ρ̄_w, the learning curves and the error spectra."""),
    ("code", """cmp = nf.compare(problems, **options, progress=False)
for name, s in cmp.summary().items():
    print(name, "PDE gap", f"{s['pde_vs_kernel_rel_l2']:.2g}", "NN gap", f"{s['nn_vs_kernel_rel_l2']:.2g}",
          {k: round(v, 4) for k, v in s["remaining_fraction"]["kernel"].items()})"""),
    ("code", """import pathlib, tempfile
from IPython.display import Image, display
from ntk_freq.experiments import write_figures

for path in write_figures(cmp, pathlib.Path(tempfile.mkdtemp())):
    display(Image(filename=str(path)))"""),
    ("markdown", """## What we learned

- Under the Gaussian ρ_w the ξ = 2 component is almost gone (a few tenths of a percent left) while
  about half of the ξ = 7 component remains at t = 150: the learning rate follows ρ̄_w, which is
  ≈ 12× smaller at ξ = 7. This is the spectral bias, and the initialisation sets it.
- Under the uniform ρ_w both frequencies are at ≈ 5 %: a flat ρ_w over the target's band removes
  the bias.
- The frequency PDE reproduces the exact kernel flow closely (10⁻⁶ for the Gaussian; a larger gap
  for the uniform ρ_w, where error diffuses to the band edge and out of the data domain — see
  docs/theory.md, "Comparing theory with trained networks"), and a network of width 1024 follows
  the kernel to within the finite-width gap, which shrinks like m^{−1/2}."""),
]

NOTEBOOKS = {"default_experiment.ipynb": DEFAULT_EXPERIMENT}


def make(cells):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
                for kind, src in cells]
    return nb


def sources(nb) -> list:
    return [(c.cell_type, c.source) for c in nb.cells]


def execute(nb, timeout: int = 600):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE.parent)}}).execute()
    return nb


def stale() -> list:
    """The stored notebooks whose cells differ from this file's, or that have no outputs."""
    import nbformat

    out = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / name
        if not path.exists():
            out.append(name)
            continue
        nb = nbformat.read(path, as_version=4)
        executed = all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")
        if sources(nb) != [(k, s) for k, s in cells] or not executed:
            out.append(name)
    return out


def main() -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        names = stale()
        for name in names:
            print(f"{name} is out of date: run python notebooks/build.py", file=sys.stderr)
        return 1 if names else 0
    for name, cells in NOTEBOOKS.items():
        nb = execute(make(cells))
        from ntk_freq._util.store import atomic_write

        atomic_write(HERE / name, lambda f, nb=nb: f.write(nbformat.writes(nb).encode()))
        print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
