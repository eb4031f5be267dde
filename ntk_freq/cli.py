"""The ``ntk-freq`` command (click). Each subcommand parses and validates its options, calls the
library, prints a short table and says where its figures and results are."""

from __future__ import annotations

import math

import click



class _Group(click.Group):
    """The command group: Ctrl-C ends any subcommand with exit code 130 (the shell's convention
    for SIGINT); results are written atomically, so an interrupted run leaves nothing behind."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\ninterrupted: nothing was written", err=True)
            raise click.exceptions.Exit(130) from None
        except OSError as error:  # a full disk, a folder removed under us: no traceback
            raise click.ClickException(f"could not read or write {error.filename or ''}: "
                                       f"{error.strerror or error}; nothing half-written was left") from None


def _check_out(out, force: bool = False):
    """The output folder, checked before any computation (module docstring of ntk_freq.store)."""
    from pathlib import Path

    from ntk_freq._util import store

    out = Path(out)
    if store.holds_results(out) and not force:
        raise click.ClickException(f"{out} already holds results; choose another --out or pass --force")
    try:
        return store.check_output(out)
    except ValueError as err:
        raise click.ClickException(str(err)) from None


FORCE = click.option("--force", is_flag=True, help="Replace the results already in --out.")


def _hidden(ctx, param, value):
    """'512,512' → (512, 512); None stays None."""
    if value is None:
        return None
    try:
        return tuple(int(h) for h in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: use comma-separated layer widths such as 512,512",
                                 param=param) from None


#: The settings of a problem (:data:`ntk_freq.problem.SETTINGS`) and of compare as options:
#: setting → (flag, click keywords). One place, shared by every command that builds a problem.
PROBLEM_OPTIONS = {
    "dim": ("--dim", dict(type=click.IntRange(1, 3), help="Input dimension d (1, 2 or 3); "
                          "run without --experiment runs the default experiment of d.")),
    "rhos": ("--rho", dict(multiple=True, help="ρ_w spec, repeatable (e.g. gaussian:3).")),
    "rho": ("--rho", dict(help="ρ_w spec.")),
    "target": ("--target", dict(help="Windowed-sines target, e.g. 'windowed-sines:2,7;width=1.5'.")),
    "network": ("--network", dict(type=click.Choice(["fourier-features", "deep-fourier-features", "mlp"]),
                                  help="Network: the two-layer FF-NN, the deep FF-NN "
                                       "(embedding + MLP, d = 1), or an MLP on raw inputs "
                                       "(ntk_freq.networks.MLP; no frequency PDE).")),
    "sigma_a": ("--sigma-a", dict(type=float, help="Readout std σ_a.")),
    "width": ("--width", dict(type=int, help="Neurons m before doubling.")),
    "widths": ("--widths", dict(help="Comma-separated widths m.")),
    "seeds": ("--seeds", dict(type=int, help="Networks per width.")),
    "hidden": ("--hidden", dict(callback=_hidden, help="Deep FF-NN: hidden layer widths, e.g. 512,512.")),
    "activation": ("--activation", dict(type=click.Choice(["relu", "erf", "sin", "cos", "gelu", "abs"]),
                                        help="Deep FF-NN: the MLP's activation.")),
    "eta": ("--eta", dict(type=float, help="Gradient-descent step η (t = η · step).")),
    "steps": ("--steps", dict(type=int, help="Gradient-descent steps.")),
    "seed": ("--seed", dict(type=int, help="PRNG seed of the networks.")),
    "dtype": ("--dtype", dict(type=click.Choice(["float32", "float64"]), help="Training precision.")),
    "part": ("--part", dict(type=click.Choice(["full", "readout", "frequency"]),
                            help="Trained parameters (readout: W frozen, random features; "
                                 "frequency: only W).")),
    "n_points": ("--points", dict(type=int, help="Training points N (per axis in d ≥ 2: N = n^d).")),
    "half_width": ("--half-width", dict(type=float, help="Data domain D = [−L, L]^d.")),
    "data": ("--data", dict(help="Data density the points follow (box:L, gaussian:S, "
                            "pieces:E0,…/M1,…, grid:PATH); default: the uniform grid of D.")),
    "data_layout": ("--data-layout", dict(type=click.Choice(["quantiles", "weights"]),
                                          help="Points at the density's quantiles, or the grid of "
                                               "D with loss weights ∝ p.")),
    "test": ("--test", dict(type=click.IntRange(1),
                            help="Test points apart from the training points: M Gauss nodes per "
                                 "axis of the data density; the run reports test error beside "
                                 "training error.")),
    "loss": ("--loss", dict(help="Loss: mse (default), or an operator loss: poisson, "
                            "screened-poisson:MU, helmholtz:K, advection:A (a1/a2 in d = 2), "
                            "heat[:NU] (space-time), sobolev:S; add ';boundary=W' for a boundary "
                            "term (docs/operator-losses.md).")),
    "model": ("--model", dict(type=click.Choice(["E2", "E3"]),
                              help="PDE of the 'pde' route: E2 on the training measure (default "
                                   "in d = 1) or the local E3.")),
}


def problem_options(*names, defaults: dict | None = None, required=(), params: dict | None = None):
    """Click options for the settings ``names`` (:data:`PROBLEM_OPTIONS`), in that order; with
    ``defaults`` the given values are shown, else an option left out is None (the experiment's
    or config's value then holds); ``required`` names must be given; ``params`` renames the
    function parameter of a setting."""
    defaults, params = defaults or {}, params or {}

    def decorate(f):
        for name in reversed(names):
            flag, kw = PROBLEM_OPTIONS[name]
            f = click.option(flag, params.get(name, name), default=defaults.get(name),
                             show_default=name in defaults, required=name in required, **kw)(f)
        return f

    return decorate


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ntk-freq", prog_name="ntk-freq")  # read on --version only
def main():
    """ntk-freq: how neural networks learn each frequency in the NTK regime."""
    _persistent_compilation_cache()


def _persistent_compilation_cache() -> None:
    """Keep JAX's compiled programs between commands in ~/.cache/ntk-freq/jax (or
    $XDG_CACHE_HOME/ntk-freq/jax): a repeated `ntk-freq run` skips its ~1.5 s CPU of XLA
    compilation (benchmarks/README.md). Set through JAX's own environment variables before JAX
    is imported; a JAX_COMPILATION_CACHE_DIR already set (empty: no cache) wins."""
    import os
    from pathlib import Path

    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(root / "ntk-freq" / "jax"))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.05")


def _announce(seconds: float, what: str) -> None:
    """Say first when a run will take longer than a minute (an estimate for a quiet 2-core CPU)."""
    if seconds > 60:
        click.echo(f"{what} will take about {seconds / 60:.0f} min on a quiet 2-core CPU "
                   "(estimate); Ctrl-C stops it and writes nothing.", err=True)


def _write_csv(path, header: str, columns) -> None:
    """Write columns as csv through a temporary name."""
    import numpy as np

    from ntk_freq._util.store import atomic_write

    table = np.column_stack(columns)
    atomic_write(path, lambda f: np.savetxt(f, table, delimiter=",", header=header, comments=""))


#: Gram eigenvalues below this fraction of the largest are at rounding level (float64).
GRAM_FLOOR = 1e-10


def _parse_domain(domain: str):
    """'periodic[:P]' → ("periodic", P); 'sphere' → ("sphere", None); 'interval:A,B' →
    ("interval", (A, B)); anything else a click.BadParameter naming the forms."""
    kind, _, arg = domain.partition(":")
    forms = "periodic[:P] (P a number or 2pi), sphere, or interval:A,B with A < B"
    try:
        if kind == "periodic":
            return kind, 2 * math.pi if arg in ("", "2pi") else float(arg)
        if kind == "sphere" and not arg:
            return kind, None
        if kind == "interval":
            a, b = (float(t) for t in arg.split(","))
            if a < b:
                return kind, (a, b)
    except ValueError:
        pass
    raise click.BadParameter(f"{domain!r}: use {forms}", param_hint="--domain")


@main.command()
@click.option("--rho", "rho_spec", default=None,
              help="Fourier-feature network with this ρ_w spec (e.g. gaussian:4, uniform:8).")
@click.option("--network", "activation", default=None,
              type=click.Choice(["relu", "erf", "sin", "cos", "gelu", "abs"]),
              help="Two-layer network with this activation (neural-tangents analytic NTK).")
@click.option("--sigma-a", default=None, type=float,
              help="Readout std σ_a of the FF-NN (--rho only)  [default: 1]")
@click.option("--part", default=None, type=click.Choice(["full", "readout", "frequency"]),
              help="Trained parameters (default: full; readout on a periodic domain).")
@click.option("--bias", "b_std", default=None, type=float,
              help="Bias std of the two-layer net (--network only)  [default: 0]")
@click.option("--domain", default=None,
              help="periodic:P (Bochner), sphere (Funk–Hecke on S^{dim-1}) or interval:A,B (Gram "
                   "on --points uniform points). Default: periodic:2pi for --rho, sphere for --network.")
@click.option("--dim", default=None, type=click.IntRange(1, None),
              help="Input dimension (default 2, the circle, on a sphere; else 1).")
@click.option("--kmax", default=32, show_default=True, help="Highest mode/degree reported.")
@click.option("--points", default=512, show_default=True, help="Points for interval:A,B.")
@click.option("--law", default="auto", show_default=True,
              type=click.Choice(["auto", "power", "exponential"]), help="Decay law to fit.")
@click.option("--fit-from", default=None, type=float,
              help="Fit the law on frequencies >= this (default: the upper half of the range).")
@click.option("--out", default="ntk-freq-results/spectrum", show_default=True,
              type=click.Path(file_okay=False),
              help="Folder for spectrum.png, spectrum.csv and spectrum.json (options, fit, provenance).")
@FORCE
def spectrum(rho_spec, activation, sigma_a, part, b_std, domain, dim, kmax, points, law,
             fit_from, out, force):
    """Eigenvalues of an NTK against frequency, with a figure and a fitted decay law."""
    import numpy as np

    from ntk_freq.kernels import _closed_form as kernels, _spectra as spectra
    from ntk_freq.plotting import _style as plotting
    from ntk_freq._util import store
    from ntk_freq.distributions._spec import distribution
    from ntk_freq.distributions._families import is_isotropic

    options = dict(click.get_current_context().params)
    if (rho_spec is None) == (activation is None):
        raise click.UsageError("give exactly one of --rho SPEC or --network ACTIVATION")
    if rho_spec and b_std is not None:
        raise click.UsageError("--bias is for --network (two-layer nets); the FF-NN has no bias")
    if activation and sigma_a is not None:
        raise click.UsageError("--sigma-a is for --rho (FF-NNs); two-layer nets use --bias")
    kind, arg = _parse_domain(domain or ("periodic:2pi" if rho_spec else "sphere"))
    d = (2 if kind == "sphere" else 1) if dim is None else dim
    out = _check_out(out, force)
    try:
        if rho_spec:
            rho = distribution(rho_spec, d)
            sigma_a = 1.0 if sigma_a is None else sigma_a
            part = part or ("readout" if kind == "periodic" else "full")
            kernel = lambda a, b: kernels.ff_ntk(a, b, rho, sigma_a=sigma_a, part=part)  # noqa: E731
            name = f"FF-NN, ρ_w = {rho_spec}, σ_a = {sigma_a}, {part}"
        else:
            b_std, part = b_std or 0.0, part or "full"
            kernel = lambda a, b: kernels.two_layer_ntk(a, b, activation, w_std=1.0, b_std=b_std, part=part)  # noqa: E731
            name = f"two-layer {activation}, bias std {b_std}, {part}"
        if kind == "periodic":
            if not rho_spec or part != "readout":
                raise ValueError("the periodic (Bochner) route is exact for the stationary kernel "
                                 "φ_w of an FF-NN: use --rho with --part readout")
            s = spectra.periodic_spectrum(rho, arg, kmax)
            freq, lam, mult, xlabel = s.radius, s.eigenvalue, s.multiplicity, "angular frequency |ξ| = 2π|k|/P"
            column = "abs_xi"
        elif kind == "sphere":
            if rho_spec and not is_isotropic(rho):
                raise ValueError(f"on the sphere the FF kernel is a dot-product kernel only for an "
                                 f"isotropic ρ_w, and {rho_spec} in d = {d} is not (use gaussian, "
                                 "cauchy or student)")
            lam = spectra.sphere_spectrum(kernel, d, kmax)
            freq, xlabel, column = np.arange(kmax + 1.0), f"degree k on $S^{{{d - 1}}}$", "degree"
            mult = spectra.sphere_multiplicity(d, np.arange(kmax + 1))  # 2k + 1 on S², (k+1)² on S³
        else:
            if d != 1:
                raise ValueError(f"interval:A,B is a 1-D domain; got --dim {d}")
            x = np.linspace(*arg, points)[:, None]
            lam, V = spectra.gram_spectrum(kernel(x, x), vectors=True)
            # eigenvectors of eigenvalues at rounding level are noise: their "frequency" is not one
            resolved = lam > GRAM_FLOOR * lam[0]
            lam, V = lam[resolved][: kmax + 1], V[:, resolved][:, : kmax + 1]
            freq, mult = spectra.dominant_frequency(V, x[:, 0]), np.ones(lam.size, int)
            xlabel, column = "dominant angular frequency of the eigenvector", "dominant_xi"
            if not resolved.all():
                click.echo(f"{np.sum(~resolved)} eigenvalues below {GRAM_FLOOR:g}·λ_max are at "
                           "rounding level; left out (their eigenvectors have no frequency)")
        f_min = 0.5 * freq.max() if fit_from is None else fit_from
        fit = spectra.fit_decay(freq, lam, law, f_min=f_min)
    except (ValueError, TypeError, MemoryError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"{name}; domain {kind}{'' if arg is None else f' {arg}'}")
    click.echo(f"{'mode':>5} {'frequency':>12} {'eigenvalue':>14} {'mult':>5}")
    for i, (f, l, m) in enumerate(zip(freq, lam, mult)):
        click.echo(f"{i:5d} {f:12.5g} {l:14.6e} {m:5d}")
    law_text = (f"power, exponent {fit.exponent:.3f}" if fit.law == "power"
                else f"exponential, rate {fit.rate:.4g} (q = {fit.q:g})")
    click.echo(f"fitted decay on frequencies >= {fit.f_min:.4g}: {law_text}, rms log-residual "
               f"{fit.rms_log_residual:.3g}")
    if fit.rms_log_residual > 1.0:
        click.echo(f"warning: the {fit.law} law misses the eigenvalues by a factor "
                   f"{math.exp(fit.rms_log_residual):.3g} (rms); the spectrum does not follow it "
                   "there: try --law or --fit-from", err=True)
    with store.replacing_directory(out, force) as tmp:
        _write_csv(tmp / "spectrum.csv", f"{column},eigenvalue,multiplicity", [freq, lam, mult])
        store.write_json(tmp / "spectrum.json", {"command": "spectrum", "options": options,
                                                 "frequency_column": {column: xlabel},
                                                 "fit": fit.__dict__, "provenance": store.provenance()})
        plotting.plot_spectrum(freq, lam, fit, path=tmp / "spectrum.png", xlabel=xlabel, title=name,
                               note=f"domain {kind}{'' if arg is None else f' {arg}'}; d = {d}")
    click.echo(f"wrote {out}/ (spectrum.png and .pdf, spectrum.csv, spectrum.json)")


def _vector_text(k) -> str:
    """A wave vector as '3' (1-D) or '3/1' (the spec notation)."""
    return "/".join(f"{c:g}" for c in k)


def _floats(text):
    """'100,316,1000' → (100.0, 316.0, 1000.0)."""
    try:
        return tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {text!r}") from None


@main.command()
@click.option("--experiment", default=None,
              help="Named experiment (default, quick, default-2d, quick-2d, default-3d, pinn, quick-pinn).")
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="TOML file with settings (the fields of ntk_freq.Problem, its network and "
                   "schedule, and compare's options; see docs/cli.md).")
@problem_options("dim", "rhos", "target", "network", "sigma_a", "width", "hidden", "activation",
                 "eta", "steps", "seed", "dtype", "part", "n_points", "half_width", "data",
                 "data_layout", "test", "loss", "model")
@click.option("--out", default="ntk-freq-results", show_default=True, help="Root of the run directories.")
@click.option("--name", default=None, help="Run directory name (default run-<UTC time>).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(experiment, config, out, name, quiet, **settings):
    """The main job: PDE vs kernel flow vs trained FF-NN for each ρ_w; writes figures,
    summary.json, results.npz and results.nc under OUT/NAME/."""
    from ntk_freq.experiments import _run as experiments
    from ntk_freq.training._train import estimated_seconds

    try:
        cfg = experiments.load_config(config) if config else None
        settings = experiments.experiment_settings(
            experiment, cfg, **{**settings, "rhos": settings["rhos"] or None})
        _announce(estimated_seconds(settings["width"], settings["n_points"] ** settings.get("dim", 1), settings["steps"],
                                    dtype=settings["dtype"], runs=len(settings["rhos"])), "this run")
        result = experiments.run_experiment(settings, out, name, progress=not quiet)
    except (ValueError, TypeError, MemoryError, RuntimeError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(experiments.summary_table(result.summary))
    click.echo(f"total {result.summary['seconds_total']:.1f} s; wrote {result.path}/ "
               f"({_figure_names(result.summary['spec'].get('dim', 1))} as .png and .pdf, "
               "summary.json, results.npz, results.nc)")


def _figure_names(dim: int) -> str:
    return "learning_curves and spectra" if dim == 1 else "learning_curves, spectra and directions"


@main.command("width-study")
@problem_options("rho", "widths", "seeds", "steps", "eta", "sigma_a", "dtype", "target", "part",
                 "n_points", "half_width", "dim",
                 defaults=dict(rho="gaussian:3", widths="100,316,1000,3162,10000", seeds=3,
                               steps=200, eta=0.25, sigma_a=0.5, dtype="float64",
                               target="windowed-sines:2,7;width=1.5", part="full", n_points=160,
                               half_width=10.0, dim=1))
@click.option("--out", default="ntk-freq-results", show_default=True, help="Root of the run directories.")
@click.option("--name", default=None, help="Run directory name (default width-study-<UTC time>).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def width_study(rho, widths, seeds, steps, eta, sigma_a, dtype, target, part, n_points, half_width,
                dim, out, name, quiet):
    """Gap between the network and the kernel's gradient-descent map (same steps) against
    width, with the fitted exponent (theory −1/2)."""
    from ntk_freq.experiments import _run as experiments
    from ntk_freq.problem import Problem
    from ntk_freq.training._train import estimated_seconds

    try:
        ws = tuple(int(w) for w in _floats(widths))
        _announce(sum(estimated_seconds(m, n_points**dim, steps, dtype=dtype, runs=seeds) for m in ws),
                  "this width study")
        problem = Problem.from_settings(
            rho=rho, steps=steps, eta=eta, n_snapshots=2, sigma_a=sigma_a, dtype=dtype,
            target=target, part=part, n_points=n_points, half_width=half_width, dim=dim)
        result = experiments.run_width_study(problem, out, name, widths=ws,
                                             seeds=tuple(range(seeds)), progress=not quiet)
    except (ValueError, TypeError, MemoryError, RuntimeError) as err:
        raise click.ClickException(str(err)) from None
    s = result.summary
    click.echo(f"{'width':>8} {'rel. L2 gap to the kernel GD map (rms over seeds)':>12}")
    for m, g in zip(s["widths"], s["nn_vs_kernel_gd_rel_l2_rms"]):
        click.echo(f"{m:8d} {g:12.4g}")
    click.echo(f"fitted exponent {s['exponent']:.3f} (theory -0.5); wrote {result.path}/")


@main.command("learning-curve")
@problem_options("rho", "target", "network", "sigma_a", "hidden", "activation", "part",
                 "half_width", "data", "dim",
                 defaults=dict(rho="gaussian:3", target="windowed-sines:2,7;width=1.5", sigma_a=0.5,
                               part="full", half_width=10.0, dim=1))
@click.option("--n", "sizes", default="10,20,40,80,160,320", show_default=True,
              help="Comma-separated sample sizes n.")
@click.option("--ridge", default=0.0, show_default=True, type=float,
              help="Ridge δ in Gram units: f = Θ(x, X)(Θ(X, X) + δI)⁻¹ y.")
@click.option("--noise", default=0.0, show_default=True, type=float, help="Label-noise variance σ².")
@click.option("--draws", default=20, show_default=True, type=click.IntRange(0),
              help="Monte-Carlo training sets per n (0: the theory alone).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0), help="Seed of the draws.")
@click.option("--times", default=None,
              help="Comma-separated flow times t of the early-stopped kernel flow (default: t = ∞, "
                   "the converged regression; 'inf' allowed).")
@click.option("--bands", default=None,
              help="Comma-separated band edges in |ξ| (default: one band per target frequency).")
@click.option("--nodes", default=None, type=click.IntRange(1),
              help="Quadrature nodes per axis of the population (default: enough for the kernel).")
@click.option("--out", default="ntk-freq-results", show_default=True, help="Root of the run directories.")
@click.option("--name", default=None, help="Run directory name (default learning-curve-<UTC time>).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def learning_curve(rho, target, network, sigma_a, hidden, activation, part, half_width, data, dim,
                   sizes, ridge, noise, draws, seed, times, bands, nodes, out, name, quiet):
    """Test error against the sample size n: the eigenlearning theory beside Monte-Carlo kernel
    regression on the problem's data density; writes learning_curve.png, results.nc and
    summary.json under OUT/NAME/."""
    from ntk_freq.experiments import _run as experiments
    from ntk_freq.problem import Problem

    try:
        settings = {k: val for k, val in dict(
            rho=rho, target=target, network=network, sigma_a=sigma_a, hidden=hidden,
            activation=activation, part=part, half_width=half_width, data=data, dim=dim).items()
            if val is not None}
        if settings.get("network") == "deep-fourier-features" or hidden is not None:
            settings.pop("sigma_a", None), settings.pop("part", None)
        problem = Problem.from_settings(**settings)
        result = experiments.run_learning_curve(
            problem, out, name, n=list(_floats(sizes)), ridge=ridge, noise=noise,
            draws=draws, seed=seed, times=None if times is None else _floats(times),
            bands=None if bands is None else _floats(bands), nodes=nodes, progress=not quiet)
    except (ValueError, TypeError, MemoryError, RuntimeError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(experiments.learning_curve_table(result.summary))
    click.echo(f"total {result.summary['seconds_total']:.1f} s; wrote {result.path}/ "
               "(learning_curve.png and .pdf, results.nc, summary.json)")


@main.command()
@click.option("--objective", "kind", default="flat", show_default=True,
              type=click.Choice(["flat", "rising", "reach"]),
              help="flat: equal rates over the band; rising: rates ∝ 1 + slope·|ξ|/hi (reverse "
                   "the spectral bias); reach: every band frequency below --epsilon by --T.")
@click.option("--band", default="0,8", show_default=True, help="LO,HI: the band LO ≤ |ξ| ≤ HI.")
@click.option("--support", default=None, type=float,
              help="Half-width S of the allowed support [−S, S] of ρ_w (default HI).")
@click.option("--rate", default=None, type=float,
              help="Absolute rate (1/time) at |ξ| = LO for flat/rising; default: as fast as the "
                   "support allows.")
@click.option("--slope", default=1.0, show_default=True, help="Rise of the rising profile.")
@click.option("--epsilon", default=0.01, show_default=True, help="Remaining fraction for reach.")
@click.option("--T", "T", default=None, type=float, help="Time (t = η·step) for reach.")
@problem_options("sigma_a", "dim", defaults=dict(sigma_a=1.0, dim=1))
@click.option("--density", default=0.05, show_default=True, help="Data density c = 1/|D|.")
@click.option("--points", default=1001, show_default=True,
              help="Nodes of the tabulated ρ_w (radii in d ≥ 2).")
@click.option("--tol", default=0.03, show_default=True, help="Tolerance on max |t/τ − 1|.")
@click.option("--hidden-layers", default=None, type=int,
              help="Design for the deep FF-NN with this many hidden layers after the embedding "
                   "and W frozen (ntk_freq.deep_design; --sigma-a does not apply).")
@click.option("--activation", default="relu", show_default=True,
              type=click.Choice(["relu", "erf", "sin", "cos", "gelu", "abs"]),
              help="Activation of the deep FF-NN's MLP (--hidden-layers only).")
@click.option("--train", "train_width", default=0, show_default=True,
              help="Also train FF-NNs of this width (0: no) and print their measured times.")
@click.option("--check-dofs", default=None, type=click.IntRange(0),
              help="d ≥ 2: largest mesh (DOFs) of the full d-D PDE check of the radial design "
                   "(default 20000 in d = 3, the solver's 40000 in d = 2; 0: no check). A check "
                   "whose mesh misses its accuracy is reported as unresolved, not as a result.")
@click.option("--out", default="ntk-freq-results/design", show_default=True,
              type=click.Path(file_okay=False),
              help="Folder for rho.npz, rho.csv, times.csv, design.png/.pdf and design.json.")
@FORCE
def design(kind, band, support, rate, slope, epsilon, T, sigma_a, density, points, dim, tol,
           hidden_layers, activation, train_width, check_dofs, out, force):
    """Design ρ_w for a wanted per-frequency learning profile under the frequency PDE."""
    import time
    import warnings

    from ntk_freq.plotting import _style as plotting
    from ntk_freq._util import store
    import numpy as np

    from ntk_freq.design._design import design_rho, make_objective, pde_check, trained_times

    options = dict(click.get_current_context().params)
    out = _check_out(out, force)
    try:
        objective = make_objective(kind, _floats(band), support, rate=rate, slope=slope, epsilon=epsilon, T=T)
        t0 = time.perf_counter()
        if hidden_layers is None:
            d = design_rho(objective, sigma_a=sigma_a, density=density, n_points=points, tol=tol,
                           dim=dim)
        else:
            from ntk_freq.design._deep import design_deep_rho

            if hidden_layers < 0 or train_width or dim != 1:
                raise ValueError("--hidden-layers must be >= 0 and cannot be combined with --train "
                                 f"or --dim > 1 (got {hidden_layers}, --train {train_width}, "
                                 f"--dim {dim})")
            d = design_deep_rho(objective, density=density, hidden=(1,) * hidden_layers,
                                activation=activation, n_points=points, tol=tol)
        if check_dofs is None:
            check_dofs = 20_000 if dim == 3 else 40_000
        check = None
        if dim > 1 and check_dofs:
            click.echo(f"designed in {time.perf_counter() - t0:.2f} s; checking with the full {dim}-D "
                       f"PDE on at most {check_dofs} DOFs (--check-dofs) …", err=True)
            with warnings.catch_warnings():  # the check reports its own resolution below
                warnings.filterwarnings("ignore", message="mesh too coarse")
                check = pde_check(d, max_dofs=check_dofs, progress=True)
    except (ValueError, TypeError, MemoryError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"designed in {time.perf_counter() - t0:.2f} s: {d.iterations} iterations, "
               f"residual max|t/τ − 1| = {d.residual:.3g} (tol {d.tol:g})")
    click.echo(f"time to reach ε = {d.epsilon:.3g} under {d.label}, c = {density:g}")
    click.echo(f"{'|ξ|':>8} {'wanted':>10} {'designed':>10} {'gaussian':>10} {'uniform':>10}")
    for row in d.table():
        click.echo(" ".join(f"{x:10.4g}" if i else f"{x:8.3g}" for i, x in enumerate(row)))
    click.echo(f"worst case: designed {d.worst_time():.4g}, gaussian (s = "
               f"{d.baselines['gaussian'].scale:g}) {d.worst_time('gaussian'):.4g}, uniform "
               f"{d.worst_time('uniform'):.4g}")
    if check is not None and check.trusted:
        click.echo(f"full {dim}-D PDE along {len(check.times)} directions ({check.dofs} DOFs, mesh "
                   f"error ~{check.resolution:.1e}): max |t/τ − 1| = "
                   f"{float(np.max(np.abs(check.times / d.wanted - 1))):.3g} (radial reduction: "
                   f"{float(np.max(np.abs(d.times['designed'] / d.wanted - 1))):.3g})")
    elif check is not None:
        click.echo(f"full {dim}-D PDE check not resolved: on {check.dofs} DOFs its mesh error is "
                   f"~{check.resolution:.1e} (needs ≤ {check.resolution_tol:g}), so its times are no "
                   "check of the design and are not shown; the radial reduction (above) is exact for "
                   "an isotropic ρ_w. Raise --check-dofs for a finer check (memory and time grow "
                   "with it).")
    with store.replacing_directory(out, force) as tmp:
        d.save(tmp / "rho.npz")
        if dim == 1:
            d.save(tmp / "rho.csv")
        _write_csv(tmp / "times.csv", "abs_xi,wanted,designed,gaussian,uniform", d.table(d.xi.size).T)
        plotting.plot_design(d, tmp / "design.png")
        store.write_json(tmp / "design.json", {
            "command": "design", "options": options, "iterations": d.iterations,
            "residual": d.residual, "provenance": store.provenance(),
            "epsilon": float(d.epsilon),  # times.csv: first t with |û| ≤ ε|û₀| (1/e for flat, rising)
            "wanted_rescaled_to_achieved": not getattr(objective, "absolute", True),
            **({} if check is None else {"pde_check": {
                "times": store.passage_time_json(check.times) if check.trusted else None,
                "resolved": check.trusted,
                "mesh_error": check.resolution, "dofs": check.dofs}})})
    click.echo(f"wrote {out}/ (rho.npz{', rho.csv' if dim == 1 else ''}, times.csv, design.png "
               "and .pdf, design.json)")
    if train_width:
        try:
            kappa, measured = trained_times(d, width=train_width)
        except (ValueError, TypeError, MemoryError, RuntimeError) as err:  # incl. TrainingDiverged
            raise click.ClickException(str(err)) from None
        click.echo("trained networks (windowed-sines target), time to reach ε at κ = "
                   + ", ".join(f"{k:.3g}" for k in kappa))
        for name, routes in measured.items():
            for route, t in routes.items():
                click.echo(f"{name:>9} {route:>7} " + " ".join(f"{x:10.4g}" for x in t))


#: Flow times (0 … max requested) added for the heat map and the decay curves of ``ntk-freq pde``.
PDE_FIGURE_TIMES = 61


@main.command("pde")
@problem_options("rho", "dim", "sigma_a", defaults=dict(dim=1, sigma_a=1.0), required=("rho",),
                 params=dict(rho="rho_spec"))
@click.option("--density", default=0.05, show_default=True,
              help="Constant data density c = 1/|D| of the local equation (E3).")
@click.option("--data", "data_spec", default=None, metavar="SPEC",
              help="Solve the non-local (E2) for this data density instead of a constant c: "
                   "box:L, box:A,B, gaussian:S[,M], pieces:E0,…,EK/M1,…,MK or grid:PATH, used "
                   "on every axis in d ≥ 2 or one per axis joined by '*' (box:5*gaussian:2). "
                   "The field shown is V = F[u p]/c̄ (c̄: the density's reference level).")
@click.option("--target", "target_spec", default="windowed-sines:4,12", show_default=True,
              help="windowed-sines:K1,K2[;width=W], gaussian-bump[:W] or file:PATH.py.")
@click.option("--data-half-width", default=None, type=float,
              help="Data domain [−L, L]^d for the quadrature of a file target's transform.")
@click.option("--data-points", default=None, type=int, help="Points per axis of that grid.")
@click.option("--times", default="0,25,50,100,200", show_default=True,
              help="Flow times t = η·step, increasing.")
@click.option("--part", default="full", show_default=True,
              type=click.Choice(["full", "readout", "frequency"]), help="Trained parameters.")
@click.option("--loss", "loss_spec", default="mse", show_default=True,
              help="Loss: mse, or an operator loss (screened-poisson:1, helmholtz:3, sobolev:1, ...): "
                   "solves (E3_L), the operator acting on q û (docs/operator-losses.md).")
@click.option("--order", default=2, show_default=True, type=click.Choice(["1", "2"]),
              help="Element order (P1, P2).")
@click.option("--scheme", default="auto", show_default=True,
              type=click.Choice(["auto", "cn", "eigen", "krylov", "lanczos", "lowrank", "expm"]),
              help="Time scheme: eigen, krylov, lanczos, cn for (E3); lowrank, expm, cn for (E2).")
@click.option("--probes", default=None,
              help="Probe frequencies k (ξ = k e₁) to print (default: the target's wave vectors).")
@click.option("--mesh-size", type=float, default=None,
              help="Element size h in ξ (default: refined until û₀ and ρ̄_w are resolved to 1e-6).")
@click.option("--max-dofs", type=int, default=None,
              help="Largest mesh the automatic refinement may reach [default: 200 000 for (E3); "
                   "60 000, 40 000, 60 000 for (E2) in d = 1, 2, 3].")
@click.option("--out", default="ntk-freq-results/pde", show_default=True,
              type=click.Path(file_okay=False), help="Folder for pde.png/.pdf, pde.csv and pde.json.")
@FORCE
def pde(rho_spec, dim, sigma_a, density, data_spec, target_spec, data_half_width, data_points,
        times, part, loss_spec, order, scheme, probes, mesh_size, max_dofs, out, force):
    """Solve the frequency-dynamics PDE by finite elements, the local (E3) for a constant data
    density c or, with --data, the non-local (E2) for a data density; print |û| (|V| for (E2))
    at probe frequencies."""
    import numpy as np

    from ntk_freq._util import validation as v
    from ntk_freq._util import store
    from ntk_freq.distributions._spec import distribution
    from ntk_freq.pde import solve_frequency_pde
    from ntk_freq.pde.figures import plot_frequency_pde, probe_table, probe_vectors
    from ntk_freq.data._targets import initial_error_hat, target
    from ntk_freq.losses import loss as parse_loss

    options = dict(click.get_current_context().params)
    out = _check_out(out, force)
    try:
        rho = distribution(rho_spec, dim)
        y = target(target_spec, dim)  # a file target is imported only below, after every check
        probe_k = (_floats(probes) if probes else
                   np.unique(np.abs(np.asarray(getattr(y, "frequencies", [[1.0] + [0.0] * (dim - 1)]))), axis=0))
        if not len(probe_k) or not np.all(np.isfinite(probe_k)):
            raise click.BadParameter(f"expected finite numbers k (ξ = k e₁), e.g. 4,12; got "
                                     f"{probes!r}", param_hint="--probes")
        requested = v.increasing_times("--times", _floats(times))
        # the figure and the csv get a dense time grid as well; the table prints what was asked
        t_solve = np.union1d(requested, np.linspace(0.0, requested[-1], PDE_FIGURE_TIMES))
        if data_spec is None:
            model = {"density": density, "u0_hat": initial_error_hat(y, data_half_width,
                                                                     data_points)}
        else:
            model = _e2_model(data_spec, dim, y)
        loss = parse_loss(loss_spec)
        if loss.spec != "mse":
            loss.operators(dim)  # the operators exist in d (heat: d >= 2; advection: one a per axis)
        sol = solve_frequency_pde(rho, sigma_a, model.pop("density"), times=t_solve, part=part,
                                  model="E3" if data_spec is None else "E2",
                                  order=int(order), scheme=scheme, mesh_size=mesh_size,
                                  max_dofs=max_dofs, progress=True,
                                  loss=None if loss.spec == "mse" else loss, **model)
    except (ValueError, TypeError, MemoryError) as err:
        raise click.ClickException(str(err)) from None
    table = probe_table(sol, probe_k)
    click.echo(f"{sol.n_dofs} DOFs (P{order}), Ω = {sol.domain.shape} of radius "
               f"{sol.domain.radius:.4g}, scheme {sol.scheme}, mesh resolution "
               + ", ".join(f"{k} {e:.1e}" for k, e in sol.resolution.items()))
    names = [_vector_text(k) for k in probe_vectors(probe_k, dim)]
    symbol = "V" if sol.model == "E2" else "û"
    click.echo(f"model {sol.model}" + (f"_L, loss {loss_spec} (q = Σ|P|²)" if loss_spec != "mse" else "")
               + (f", data density {sol.density.spec} (V = F[u p]/c̄, c̄ = "
                                       f"{sol.density.level:.4g})" if sol.model == "E2" else ""))
    click.echo(f"{'t':>10} " + " ".join(f"{'|' + symbol + '(' + k + ')|':>14}" for k in names))
    for t, row in zip(sol.times, table):
        if np.any(np.isclose(t, requested, rtol=1e-12, atol=0.0)):
            click.echo(f"{t:>10.4g} " + " ".join(f"{a:>14.5g}" for a in row))
    with store.replacing_directory(out, force) as tmp:
        field = "abs_V" if sol.model == "E2" else "abs_u_hat"
        _write_csv(tmp / "pde.csv", "t," + ",".join(f"{field}_{k}" for k in names),
                   [sol.times] + list(table.T))
        plot_frequency_pde(sol, probe_k, tmp / "pde.png",
                           note=f"ρ_w = {rho_spec}, σ_a = {sigma_a:g}, "
                                + (f"c = {density:g}" if data_spec is None else
                                   f"(E2), data {sol.density.spec}, V = F[u p]/c̄")
                                + f", part {part}, loss {loss_spec}, target {target_spec}; {sol.n_dofs} DOFs "
                                  f"(P{order}), scheme {sol.scheme}")
        store.write_json(tmp / "pde.json", {
            "command": "pde", "options": options, "model": sol.model + ("_L" if loss_spec != "mse" else ""),
            "loss": loss_spec, "n_dofs": sol.n_dofs,
            "columns": {"t": "flow time t = eta * step",
                        f"{field}_XI": ("|V(ξ, t)|, V = F[u p]/c̄: the error weighted by the data "
                                        "density p, over its reference level c̄" if sol.model == "E2"
                                        else "|û(ξ, t)|: the error's Fourier transform")
                        + " at the angular wave vector ξ = XI (k for k e1, or k1/k2/...)"},
            "scheme": sol.scheme, "resolution": sol.resolution, "provenance": store.provenance()})
    click.echo(f"wrote {out}/ (pde.csv, pde.png and .pdf, pde.json)")


def _e2_model(data_spec, dim, y) -> dict:
    """The (E2) arguments of ``ntk-freq pde --data``: the data density on R^dim and the initial
    error u₀ = −y in x; refuses an explicit --density alongside (it would be ignored)."""
    import numpy as np

    from ntk_freq.data._density import data_density

    source = click.get_current_context().get_parameter_source("density")
    if source is not None and source.name == "COMMANDLINE":
        raise click.BadParameter("--density (a constant c, for (E3)) and --data (a data "
                                 "density, for (E2)) exclude each other; give one",
                                 param_hint="--density")
    return {"density": data_density(data_spec, dim), "u0": lambda x: -np.asarray(y(x))}


@main.command()
@click.argument("name", required=False)
@click.option("--list", "show_list", is_flag=True, help="List the named experiments, one line each.")
@click.option("--quick", is_flag=True, help="The reduced form (small sizes; seconds to a minute).")
@click.option("--force", is_flag=True, help="Recompute even if OUT/NAME holds this very result.")
@click.option("--out", default="ntk-freq-results", show_default=True, help="Root of the results.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--clear", is_flag=True,
              help="Delete the cached results of NAME (or of every experiment) under OUT and stop.")
def reproduce(name, show_list, quick, force, out, quiet, clear):
    """Run a named experiment, or all of them (figures, data and summary.json under OUT/NAME/;
    a verified result of the same spec and code is reused), or --list them, or --clear the cache."""
    from ntk_freq.experiments import _reproduce as registry

    if clear:
        try:
            removed = registry.clear(out, None if name in (None, "all") else [name])
        except ValueError as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"removed {len(removed)} cached result(s) under {out}/")
        return
    if show_list or not name:
        click.echo(registry.listing())
        return
    try:
        names = list(registry.REGISTRY) if name == "all" else [registry._experiment(name).name]
        for n in names:
            row, = registry.reproduce_all(out, quick=quick, force=force, progress=not quiet,
                                          names=[n])
            click.echo(f"{row['name']:<20} {'cached' if row['cached'] else 'computed':<9} "
                       f"{row['seconds']:8.1f} s  {row['path']}/")
    except (ValueError, TypeError, MemoryError, RuntimeError) as err:
        raise click.ClickException(str(err)) from None


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Sweep folder (default ntk-freq-results/sweep-<config stem>); run again to resume.")
@click.option("--scheduler", default=None,
              help="Address of a running Dask scheduler (e.g. tcp://host:8786); default: a "
                   "LocalCluster with one single-threaded worker per core.")
@click.option("--workers", type=int, default=None, help="Workers of the LocalCluster (default: cores).")
@click.option("--serial", is_flag=True, help="Run the points one after another in this process (no Dask).")
@click.option("--max-disk", type=float, default=None, help="Refuse a sweep needing more GiB of disk than this.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep(config, out, scheduler, workers, serial, max_disk, quiet):
    """Sweep compare's settings over a grid (TOML config) on Dask; one labelled results.nc."""
    from pathlib import Path

    from ntk_freq.experiments import _sweep as sweeps

    if serial and (scheduler or workers):
        raise click.UsageError("--serial runs in this process: leave --scheduler and --workers out")
    if scheduler and workers:
        raise click.UsageError("--workers sizes the LocalCluster; an existing cluster (--scheduler) "
                               "has its own workers")
    try:
        spec = sweeps.load_sweep_config(config)
        out = out or sweeps.default_out(config)
        if serial:
            sweeps.use_compilation_cache(Path(out))
        result = sweeps.run_sweep(spec, out, scheduler=scheduler,
                                  n_workers=workers, serial=serial, progress=not quiet,
                                  max_disk=None if max_disk is None else max_disk * 2**30)
    except (ValueError, TypeError, MemoryError, RuntimeError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(sweeps.sweep_summary(result))


@main.command()
@click.argument("data", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--predictions", type=click.Path(exists=True, dir_okay=False),
              help=".npy of outputs at the training inputs, shape (T, N) or (T, N, C).")
@click.option("--targets", type=click.Path(exists=True, dir_okay=False), help=".npy, shape (N,) or (N, C).")
@click.option("--inputs", type=click.Path(exists=True, dir_okay=False), help=".npy, shape (N, d).")
@click.option("--times", type=click.Path(exists=True, dir_okay=False),
              help=".npy of the T snapshot times or steps (default 0…T-1).")
@click.option("--delta", "deltas", default=None,
              help="Filter widths δ, comma-separated (default: 1 and 2 x the median nearest-neighbour distance).")
@click.option("--peaks", "n_peaks", default=5, show_default=True, help="Spectral peaks for Δ_F.")
@click.option("--xi-max", default=None, type=float,
              help="Largest angular frequency |ξ| searched for peaks (default: π / median spacing).")
@click.option("--level", default=0.1, show_default=True, help="Error at which a part counts as learned.")
@click.option("--out", default="ntk-freq-results/diagnose", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the csv files, figures and diagnose.json.")
@FORCE
def diagnose(data, predictions, targets, inputs, times, deltas, n_peaks, xi_max, level, out, force):
    """F-principle diagnostics (Δ_F at spectral peaks, filtering method) on saved predictions:
    DATA is an .npz holding predictions, targets, inputs (and times), or pass .npy files."""
    from ntk_freq.diagnostics import _diagnose as report
    from ntk_freq._util import store

    out = _check_out(out, force)
    try:
        arrays = report.load_arrays(data, predictions=predictions, targets=targets, inputs=inputs,
                                    times=times)
        with store.replacing_directory(out, force) as tmp:
            summary = report.diagnose(arrays, tmp, None if deltas is None else _floats(deltas),
                                      n_peaks=n_peaks, xi_max=xi_max, level=level)
    except (ValueError, TypeError, MemoryError) as err:
        raise click.ClickException(str(err)) from None
    def when(t):
        return f"{t:.4g}" if t is not None else f"not reached by {summary['t_max']:.4g}"

    for p in summary.get("peaks", []):
        click.echo(f"Δ_F ≤ {level:g} at ξ = {p['xi']} (peak {p['height_rank']} by height): "
                   f"time {when(p['learning_time'])}")
    for f in summary["filtering"]:
        click.echo(f"δ = {f['delta']:.4g}: low part learned at {when(f['time_low'])}, "
                   f"high part at {when(f['time_high'])}")
    click.echo(f"wrote {out}/")


if __name__ == "__main__":
    main()
