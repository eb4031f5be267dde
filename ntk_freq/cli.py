"""The ``ntk-freq`` command (click). Each subcommand parses and validates its options, calls the
library, prints a short table and says where its figures and results are."""

from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ntk-freq")
def main():
    """ntk-freq: how neural networks learn each frequency in the NTK regime."""


def _write_csv(path, header: str, columns) -> None:
    """Write columns as csv through a temporary name."""
    import numpy as np
    from pathlib import Path

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    np.savetxt(tmp, np.column_stack(columns), delimiter=",", header=header, comments="")
    tmp.replace(path)


@main.command()
@click.option("--rho", "rho_spec", default=None,
              help="Fourier-feature network with this ρ_w spec (e.g. gaussian:4, uniform:8).")
@click.option("--network", "activation", default=None,
              type=click.Choice(["relu", "erf", "sin", "cos", "gelu", "abs"]),
              help="Two-layer network with this activation (neural-tangents analytic NTK).")
@click.option("--sigma-a", default=1.0, show_default=True, help="Readout std σ_a of the FF-NN.")
@click.option("--part", default=None, type=click.Choice(["full", "readout", "frequency"]),
              help="Trained parameters (default: full; readout on a periodic domain).")
@click.option("--bias", "b_std", default=0.0, show_default=True, help="Bias std of the two-layer net.")
@click.option("--domain", default=None,
              help="periodic:P (Bochner), sphere (Funk–Hecke on S^{dim-1}) or interval:A,B (Gram "
                   "on --points uniform points). Default: periodic:2pi for --rho, sphere for --network.")
@click.option("--dim", default=None, type=int,
              help="Input dimension (default 1 for --rho, 2 (the circle) for --network).")
@click.option("--kmax", default=32, show_default=True, help="Highest mode/degree reported.")
@click.option("--points", default=512, show_default=True, help="Points for interval:A,B.")
@click.option("--law", default="auto", show_default=True,
              type=click.Choice(["auto", "power", "exponential"]), help="Decay law to fit.")
@click.option("--fit-from", default=None, type=float,
              help="Fit the law on frequencies >= this (default: the upper half of the range).")
@click.option("--out", default="ntk-freq-results/spectrum", show_default=True,
              type=click.Path(file_okay=False), help="Folder for spectrum.png and spectrum.csv.")
def spectrum(rho_spec, activation, sigma_a, part, b_std, domain, dim, kmax, points, law,
             fit_from, out):
    """Eigenvalues of an NTK against frequency, with a figure and a fitted decay law."""
    import math
    from pathlib import Path

    import numpy as np

    from . import kernels, plotting, spectra
    from .distributions import distribution

    if (rho_spec is None) == (activation is None):
        raise click.UsageError("give exactly one of --rho SPEC or --network ACTIVATION")
    domain = domain or ("periodic:2pi" if rho_spec else "sphere")
    kind, _, arg = domain.partition(":")
    if kind not in ("periodic", "sphere", "interval"):
        raise click.BadParameter(f"{domain!r}: use periodic:P, sphere or interval:A,B", param_hint="--domain")
    try:
        if rho_spec:
            rho = distribution(rho_spec, dim or 1)
            part = part or ("readout" if kind == "periodic" else "full")
            kernel = lambda a, b: kernels.ff_ntk(a, b, rho, sigma_a, part)  # noqa: E731
            name = f"FF-NN, ρ_w = {rho_spec}, σ_a = {sigma_a}, {part}"
        else:
            part = part or "full"
            kernel = lambda a, b: kernels.two_layer_ntk(a, b, activation, 1.0, b_std, part)  # noqa: E731
            name = f"two-layer {activation}, bias std {b_std}, {part}"
        if kind == "periodic":
            if not rho_spec or part != "readout":
                raise ValueError("the periodic (Bochner) route is exact for the stationary kernel "
                                 "φ_w of an FF-NN: use --rho with --part readout")
            P = 2 * math.pi if arg in ("", "2pi") else float(arg)
            s = spectra.periodic_spectrum(rho, P, kmax)
            freq, lam, mult, xlabel = s.radius, s.eigenvalue, s.multiplicity, "angular frequency |ξ| = 2π|k|/P"
        elif kind == "sphere":
            d = dim or 2
            lam = spectra.sphere_spectrum(kernel, d, kmax)
            freq, mult, xlabel = np.arange(kmax + 1.0), np.ones(kmax + 1, int), f"degree k on S^{d - 1}"
        else:
            a, b = (float(t) for t in arg.split(","))
            x = np.linspace(a, b, points)[:, None]
            lam, V = spectra.gram_spectrum(kernel(x, x), vectors=True)
            lam, V = lam[: kmax + 1], V[:, : kmax + 1]
            freq, mult = spectra.dominant_frequency(V, x[:, 0]), np.ones(lam.size, int)
            xlabel = "dominant angular frequency of the eigenvector"
        f_min = 0.5 * freq.max() if fit_from is None else fit_from
        fit = spectra.fit_decay(freq, lam, law, f_min=f_min)
    except (ValueError, TypeError, MemoryError) as err:
        raise click.ClickException(str(err)) from None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    click.echo(f"{name}; domain {domain}")
    click.echo(f"{'mode':>5} {'frequency':>12} {'eigenvalue':>14} {'mult':>5}")
    for i, (f, l, m) in enumerate(zip(freq, lam, mult)):
        click.echo(f"{i:5d} {f:12.5g} {l:14.6e} {m:5d}")
    law_text = (f"power, exponent {fit.exponent:.3f}" if fit.law == "power"
                else f"exponential, rate {fit.rate:.4g} (q = {fit.q:g})")
    click.echo(f"fitted decay: {law_text}, rms log-residual {fit.rms_log_residual:.3g}")
    _write_csv(out / "spectrum.csv", "frequency,eigenvalue,multiplicity", [freq, lam, mult])
    fig = plotting.plot_spectrum(freq, lam, fit, out / "spectrum.png", xlabel, name)
    click.echo(f"wrote {fig} and {out / 'spectrum.csv'}")
