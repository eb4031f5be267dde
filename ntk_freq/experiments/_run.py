"""Named experiments and the main job: run the three-way comparison and write a run directory.

An experiment is a set of keyword arguments for :func:`ntk_freq.comparison.compare`. Settings are
merged in the order: the named experiment < a TOML config file < explicit overrides (CLI flags).
A config file holds the same keys at top level, e.g.::

    experiment = "default"
    rhos = ["gaussian:3", "laplace:2", "uniform:10"]
    width = 8192
    seed = 3

The run directory ``<out>/<name>/`` holds ``learning_curves`` and ``spectra`` (PNG and PDF),
``summary.json`` (per ρ_w: gaps at the final time, remaining fractions, wall times) and
``results.npz`` (every array, the full spec and the provenance) and ``results.nc`` (the same as a
labelled xarray Dataset, :func:`ntk_freq.open_results`); it appears only when complete.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ntk_freq._util import store
from ntk_freq._util import validation as v
from ntk_freq.comparison._compare import (OPTIONS, Comparison, WidthStudy, compare_settings,
                                          width_study)
from ntk_freq.comparison._results import ROUTES
from ntk_freq.experiments._registry import REGISTRY
from ntk_freq.networks import NETWORKS
from ntk_freq.problem import SETTINGS as PROBLEM_SETTINGS

#: The run presets (``ntk-freq run --experiment NAME``): the compare settings of the registered
#: experiments that have them (:data:`ntk_freq.experiments._registry.REGISTRY`), each with its
#: quick form under its own name. Derived from the one registry, never edited here.
EXPERIMENTS = {**{e.name: dict(e.preset) for e in REGISTRY.values() if e.preset},
               **{e.quick_name: {**e.preset, **e.quick} for e in REGISTRY.values() if e.preset}}
#: The named experiment a run of dimension d starts from when none is named.
DEFAULT_BY_DIM = {e.preset.get("dim", 1): e.name for e in reversed(REGISTRY.values())
                  if e.preset and e.name.startswith("default")}
#: The reduced ("quick") form of each default experiment.
QUICK_FORM = {e.name: e.quick_name for e in REGISTRY.values() if e.preset}

#: The flat settings a run takes: ``rhos`` (one problem per ρ_w), the fields of the problem,
#: its network and its schedule (:data:`ntk_freq.problem.SETTINGS`, but one ``rho`` and the
#: optimizer object) with the network by name, and compare's options.
SETTINGS = ("rhos", "network", *(k for k in PROBLEM_SETTINGS if k not in ("rho", "optimizer")),
            *OPTIONS)


def read_toml(path, what: str = "config file") -> dict:
    """A TOML file as a dict; ValueError naming ``what`` if it is missing or not TOML."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ValueError(f"{what} {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{what} {str(path)!r} is not valid TOML: {e}") from None


def load_config(path) -> dict:
    """Read a TOML config (module docstring); unknown keys raise ValueError listing the allowed."""
    config = read_toml(path)
    _check_keys(config, f"config file {path}", extra=("experiment",))
    return config


def experiment_settings(experiment: str | None = None, config: dict | None = None,
                        **overrides) -> dict:
    """The settings of a run: the named experiment (``experiment``, else the config's
    "experiment", else the default of the dimension asked for, :data:`DEFAULT_BY_DIM`), then
    ``config``, then the overrides that are not None."""
    config = dict(config or {})
    dim = overrides.get("dim") or config.get("dim") or 1
    if not (experiment or config.get("experiment")) and dim not in DEFAULT_BY_DIM:
        raise ValueError(f"there is no default experiment in d = {dim!r} (defaults: d in "
                         f"{sorted(DEFAULT_BY_DIM)}); name the ρ_w, target and grid in a config file "
                         "with experiment = \"default-2d\" as a start")
    experiment = experiment or config.pop("experiment", None) or DEFAULT_BY_DIM[dim]
    config.pop("experiment", None)
    if experiment not in EXPERIMENTS:
        raise ValueError(f"experiment must be one of {sorted(EXPERIMENTS)}, got {experiment!r}")
    overrides = {k: val for k, val in overrides.items() if val is not None}
    _check_keys(overrides, "overrides")
    base = EXPERIMENTS[experiment]
    network = overrides.get("network") or config.get("network")
    if network is not None:  # the experiment's settings of another network do not apply
        own = {f.name for f in dataclasses.fields(NETWORKS[network])} if network in NETWORKS else set()
        others = {k for k, (owner, _) in PROBLEM_SETTINGS.items() if owner in NETWORKS.values()}
        base = {k: val for k, val in base.items() if k not in others - own}
    settings = {**base, **config, **overrides}
    if isinstance(settings["rhos"], str):
        settings["rhos"] = (settings["rhos"],)
    settings["rhos"] = tuple(settings["rhos"])
    return settings


def _check_keys(d: dict, where: str, extra=()) -> None:
    bad = sorted(set(d) - set(SETTINGS) - set(extra))
    if bad:
        raise ValueError(f"{where}: unknown setting(s) {bad}; allowed: {sorted(SETTINGS + extra)}")


@dataclass(frozen=True)
class Run:
    """A finished run: its directory, the result (comparison or width study) and the summary
    written to summary.json."""

    path: Path
    result: "Comparison | WidthStudy | xarray.Dataset"  # noqa: F821
    summary: dict


def default_run_name(prefix: str = "run") -> str:
    """``<prefix>-YYYYmmdd-HHMMSS`` (UTC)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"{prefix}-{now:%Y%m%d-%H%M%S}"


def comparison_arrays(cmp: Comparison) -> dict:
    """Every array of a comparison, keyed ``xi``, ``times``, …, ``rho<i>.<kind>.<route>``."""
    v.instance("cmp", cmp, Comparison, "a Comparison (ntk_freq.compare)")
    arrays = {"xi": cmp.xi, "times": cmp.times, "kappa": cmp.kappa, "x": cmp.x, "y": cmp.y}
    for i, r in enumerate(cmp.results):
        for route in ROUTES:
            arrays[f"rho{i}.u_hat.{route}"] = r.u_hat[route]
            arrays[f"rho{i}.remaining.{route}"] = r.remaining[route]
        for name, gap in r.rel_l2.items():
            arrays[f"rho{i}.rel_l2.{name}"] = gap
        arrays[f"rho{i}.loss"] = r.loss
    return arrays


#: A generous size for one run directory (figures, results.npz/.nc), for the free-space check.
RUN_BYTES = 50e6

PART_WORDS = {"full": "all of a, b, W", "readout": "a, b (W frozen)", "frequency": "W only"}


def target_label(record) -> str:
    """A windowed-sines target as a formula, y = e^{−x²/2w²}(A₁ sin(κ₁x + φ₁) + …) in 1-D,
    y = e^{−|x|²/2w²}(A₁ sin(κ₁·x + φ₁) + …) with κ₁ = (2, 0) written out in d ≥ 2; any other
    record as written."""
    from ntk_freq._util.labels import vector_text

    if not isinstance(record, dict) or "frequencies" not in record:
        return str(record)
    terms = []
    dim = len(record["frequencies"][0])
    for k, a, p in zip(record["frequencies"], record["amplitudes"], record["phases"]):
        kx = f"{k[0]:g}x" if dim == 1 else f"{vector_text(k)}·x"
        amp = "" if a == 1 else f"{a:g} "
        phase = "" if p == 0 else f" + {p:g}"
        terms.append(f"{amp}sin({kx}{phase})")
    x2 = "x²" if dim == 1 else "|x|²"
    return f"y = exp(−{x2}/2·{record['width']:g}²)·({' + '.join(terms)})"


def comparison_caption(spec: dict, final_time: float) -> str:
    """The parameter line of a comparison's figures."""
    L, d, n = spec["half_width"], spec.get("dim", 1), spec["n_points"]
    points = f"N = {n} points on D = [−{L:g}, {L:g}]" if d == 1 else \
        f"N = {n}^{d} points on D = [−{L:g}, {L:g}]^{d}"
    if "hidden" in spec:  # a deep FF-NN
        network = (f"deep FF-NN m = {spec['width']} features, hidden {tuple(spec['hidden'])}, "
                   f"{spec['activation']}, W {'trained' if spec['train_frequencies'] else 'frozen'}, ")
    else:
        network = (f"FF-NN width m = {spec['width']} (2m neurons after doubling), σ_a = "
                   f"{spec['sigma_a']:g}, trained: {PART_WORDS.get(spec['part'], spec['part'])}, ")
    return (f"target {target_label(spec['target'])}; {network}"
            f"gradient descent η = {spec['eta']:g} × {spec['steps']} steps ({spec['dtype']}), "
            f"final t = η·step = {final_time:g}; {points}, PDE model {spec.get('model') or 'E3'}, "
            f"seed {spec['seed']}")


def write_figures(cmp: Comparison, directory) -> list:
    """The learning curves (with ρ̄_w) and the |û(ξ, t)| maps of a comparison, PNG and PDF; in
    d ≥ 2 (:func:`write_figures_nd`) the learning curves, |û(ξ₁, ξ₂, t)| panels and the
    per-direction rates."""
    from ntk_freq.plotting import _style as plotting  # matplotlib: loaded only when figures are drawn
    from ntk_freq.distributions._spec import distribution

    directory = Path(directory)
    note = comparison_caption(cmp.spec, float(cmp.times[-1]))
    if cmp.dim > 1:
        return write_figures_nd(cmp, directory, note)
    records = cmp.spec["rhos"]
    rho_bars = None
    if all(isinstance(r, str) for r in records):
        rho_bars = [distribution(r).symmetrised_pdf(cmp.xi) for r in records]
    return [
        plotting.plot_learning_curves(
            cmp.times, cmp.kappa, [(r.rho, r.remaining, r.rel_l2) for r in cmp.results],
            path=directory / "learning_curves.png", xi=cmp.xi, rho_bars=rho_bars, note=note),
        plotting.plot_spectrum_heatmaps(
            cmp.times, cmp.xi, [(r.rho, r.u_hat) for r in cmp.results], path=directory / "spectra.png",
            note=note),
    ]


def write_figures_nd(cmp: Comparison, directory: Path, note: str) -> list:
    """The figures of a d-D comparison (:mod:`ntk_freq.figures_nd`): ``learning_curves`` per
    target wave vector, ``spectra`` (|û(ξ₁, ξ₂, t)| per route and time; the plane ξ₃ = 0 in
    3-D) and ``directions`` (the rate along each axis against the frozen-W rate c(2π)^d ρ̄_w,
    with the shell average for an isotropic ρ_w)."""
    from ntk_freq.plotting import _nd as figures_nd, _style as plotting
    from ntk_freq.distributions._spec import distribution
    from ntk_freq.distributions._families import is_isotropic

    c = 1.0 / (2 * cmp.spec["half_width"]) ** cmp.dim
    directions = []
    for record, r in zip(cmp.spec["rhos"], cmp.results):
        rho = distribution(record, cmp.dim) if isinstance(record, str) else None
        frozen = None if rho is None else (
            lambda xi, rho=rho: c * (2 * math.pi) ** cmp.dim * rho.symmetrised_pdf(xi))
        directions.append((r.rho, r.u_hat, frozen, rho is not None and is_isotropic(rho)))
    return [
        plotting.plot_learning_curves(
            cmp.times, cmp.kappa, [(r.rho, r.remaining, r.rel_l2) for r in cmp.results],
            path=directory / "learning_curves.png", note=note),
        figures_nd.plot_spectrum_panels(cmp.times, cmp.xi, [(r.rho, r.u_hat) for r in cmp.results],
                                        path=directory / "spectra.png", note=note),
        figures_nd.plot_direction_rates(cmp.times, cmp.xi, directions,
                                        path=directory / "directions.png", note=note),
    ]


def run_experiment(settings: dict, out="ntk-freq-results", name: str | None = None,
                   *, progress: bool = True) -> Run:
    """Run :func:`compare` with ``settings`` and write the run directory ``out/name`` (module
    docstring). The name is checked before any computation; the directory appears complete or
    not at all."""
    path = store.check_output(store.new_run_path(out, name or default_run_name()), RUN_BYTES)
    t0 = time.perf_counter()
    cmp = compare_settings(settings, progress=progress)
    summary = {"run": path.name, "spec": cmp.spec, "rho": cmp.summary(),
               "seconds_total": time.perf_counter() - t0}
    with store.run_directory(path) as tmp:
        summary["seconds_total"] = time.perf_counter() - t0
        _write_comparison(cmp, tmp, summary["rho"])
        store.write_json(tmp / "summary.json", summary)
    return Run(path=path, result=cmp, summary=summary)


def _write_comparison(cmp: Comparison, directory: Path, metrics: dict) -> None:
    """The figures, results.npz and results.nc (labelled, :mod:`ntk_freq.results`) of a comparison."""
    from ntk_freq.comparison._results import write_dataset

    write_figures(cmp, directory)
    write_dataset(directory / "results.nc", cmp.to_dataset())
    store.write_results(directory / "results.npz", comparison_arrays(cmp),
                        {"spec": cmp.spec, "seed": cmp.spec["seed"], "metrics": metrics})


def default_settings(quick: bool = False, experiment: str = "default") -> dict:
    """The settings of the registered experiment ``experiment`` (a key of :data:`QUICK_FORM`),
    its :data:`QUICK_FORM` when ``quick`` (its cache key)."""
    return experiment_settings(QUICK_FORM[experiment] if quick else experiment)


def reproduce_default(directory: Path, quick: bool = False, progress: bool = True,
                      *, experiment: str = "default") -> dict:
    """The registered experiments "default", "default-2d" and "default-3d" (``ntk-freq
    reproduce default``): that comparison (its quick form when ``quick``), its figures and
    results in ``directory``; returns the per-ρ_w summary."""
    cmp = compare_settings(default_settings(quick, experiment), progress=progress)
    summary = {"spec": cmp.spec, "rho": cmp.summary()}
    _write_comparison(cmp, directory, summary["rho"])
    return summary


def summary_table(summary: dict) -> str:
    """The run's result in about 80 columns (wider only for long ρ_w specs or wave vectors):
    what is measured and when, then per ρ_w the gaps to the exact kernel flow and, per target
    frequency κ, the remaining fraction from each route."""
    if not isinstance(summary, dict) or not {"spec", "rho"} <= summary.keys():
        raise TypeError(f"summary must be a run's summary dict (keys spec, rho), got {summary!r:.80}")
    spec = summary["spec"]
    t_final = spec["eta"] * spec["steps"]
    labels = [k.removeprefix("xi=") for s in summary["rho"].values() for k in s["remaining_fraction"]["kernel"]]
    w_rho = max(16, 2 + max(len(rho) for rho in summary["rho"]))
    w_kappa = max(6, 2 + max(len(k) for k in labels))
    lines = [
        f"At the final time t = η·step = {t_final:g}:",
        "  gap       = relative L² distance over ξ to the exact kernel flow (E1)",
        "  remaining = |û(κ,t)|/|û(κ,0)|, the error left at target frequency κ",
        "",
        f"{'ρ_w':<{w_rho}}{'PDE gap':>9}{'NN gap':>9}{'κ':>{w_kappa}}   {'remaining:':<10}{'PDE':>8}{'kernel':>9}{'FF-NN':>9}",
    ]
    for rho, s in summary["rho"].items():
        rem = s["remaining_fraction"]
        for i, key in enumerate(rem["kernel"]):
            head = (f"{rho:<{w_rho}}{s['pde_vs_kernel_rel_l2']:>9.2g}{s['nn_vs_kernel_rel_l2']:>9.2g}"
                    if i == 0 else " " * (w_rho + 18))
            cells = "".join(f"{rem[r][key]:>{w}.3g}" for r, w in (("pde", 8), ("kernel", 9), ("nn", 9)))
            lines.append(f"{head}{key.removeprefix('xi='):>{w_kappa}}   {'':<10}{cells}")
    lines.append("")
    for rho, s in summary["rho"].items():  # what the local model would cost
        if "pde_e3_vs_kernel_rel_l2" in s:
            lines.append(f"(E3), the local PDE, gap for {rho}: {s['pde_e3_vs_kernel_rel_l2']:.2g}")
    if spec.get("loss", "mse") != "mse":  # an operator loss: trained rates beside the frozen ones
        lines += ["", f"Loss {spec['loss']}: rates at t = {t_final:g} (1/t), the W-frozen closed form "
                  "c(2π)^d q ρ̄_w beside each route's −ln(remaining)/t",
                  f"{'ρ_w':<{w_rho}}{'κ':>{w_kappa}}{'frozen':>9}{'PDE':>9}{'kernel':>9}{'FF-NN':>9}"]
        for rho, s in summary["rho"].items():
            for i, key in enumerate(s.get("frozen_rate", {})):
                cells = "".join(f"{s['effective_rate'][r][key]:>9.3g}" for r in ("pde", "kernel", "nn"))
                lines.append(f"{rho if i == 0 else '':<{w_rho}}{key.removeprefix('xi='):>{w_kappa}}"
                             f"{s['frozen_rate'][key]:>9.3g}{cells}")
    for rho, s in summary["rho"].items():  # with test points: generalisation beside training
        if "test_error" in s:
            cells = ", ".join(f"{route} {s['train_error'][route]:.3g} / {s['test_error'][route]:.3g}"
                              for route in s["test_error"])
            lines.append(f"train / test error (Σ q u²) for {rho}: {cells}")
    return "\n".join(lines)


#: What a width study's gaps compare: like for like, no time-discretisation gap (unlike
#: ``nn_vs_kernel_rel_l2`` of a comparison, whose reference is the gradient flow).
WIDTH_STUDY_REFERENCE = ("kernel_gd: the kernel's gradient-descent map u_{k+1} = (I - eta Theta/N) u_k "
                         "after the same steps; relative L2 over xi at the final step")


def run_width_study(problem, out="ntk-freq-results", name: str | None = None, *,
                    widths, seeds, progress: bool = True) -> Run:
    """Run :func:`ntk_freq.comparison.width_study` on ``problem`` and write ``out/name/`` with
    ``width_study.png``, ``summary.json`` (widths, the rms over seeds of the relative L² gap
    between the network and the kernel's gradient-descent map after the same steps, fitted
    exponent) and ``results.npz`` (the gap per width and seed)."""
    from ntk_freq.plotting import _style as plotting

    path = store.check_output(store.new_run_path(out, name or default_run_name("width-study")), RUN_BYTES)
    t0 = time.perf_counter()
    study = width_study(problem, widths=widths, seeds=seeds, progress=progress)
    summary = {"run": path.name, "spec": study.spec, "widths": study.widths.tolist(),
               "reference": WIDTH_STUDY_REFERENCE,
               "nn_vs_kernel_gd_rel_l2_rms": study.gap.tolist(), "exponent": study.exponent,
               "prefactor": study.prefactor, "seconds_total": time.perf_counter() - t0}
    with store.run_directory(path) as tmp:
        plotting.plot_width_study(study.widths, study.gaps, study.exponent, prefactor=study.prefactor,
                                  path=tmp / "width_study.png", title=study.rho)
        store.write_results(tmp / "results.npz", {"widths": study.widths,
                                                  "nn_vs_kernel_gd_rel_l2": study.gaps},
                            {"spec": study.spec, "seed": study.spec["seeds"],
                             "metrics": {"exponent": study.exponent, "prefactor": study.prefactor}})
        store.write_json(tmp / "summary.json", summary)
    return Run(path=path, result=study, summary=summary)


def learning_curve_summary(ds) -> dict:
    """The learning curve's numbers at the last flow time: per n the theory, Monte Carlo (mean,
    standard error) and their ratio, and the worst ratio."""
    import xarray as xr

    v.instance("ds", ds, xr.Dataset, "an xarray Dataset (ntk_freq.learning_curve)")
    at = ds.isel(time=-1)
    summary = {"n": at.n.values.tolist(), "time": float(at.time),
               "test_error_theory": at.test_error_theory.values.tolist()}
    if "test_error_mc" in at:
        ratio = (at.test_error_theory / at.test_error_mc).values
        summary |= {"test_error_mc": at.test_error_mc.values.tolist(),
                    "test_error_mc_se": at.test_error_mc_se.values.tolist(),
                    "theory_over_mc": ratio.tolist(),
                    "worst_ratio": float(ratio[np.argmax(np.abs(np.log(ratio)))])}
    return summary


def learning_curve_table(summary: dict) -> str:
    """The summary as a table: n, theory, Monte Carlo ± SE, theory / Monte Carlo."""
    mc = "test_error_mc" in summary
    rows = [f"{'n':>7} {'theory':>11}" + (f" {'Monte Carlo':>11} {'± SE':>9} {'theory/MC':>10}" if mc else "")]
    for i, n in enumerate(summary["n"]):
        row = f"{n:7d} {summary['test_error_theory'][i]:11.4g}"
        if mc:
            row += (f" {summary['test_error_mc'][i]:11.4g} {summary['test_error_mc_se'][i]:9.2g}"
                    f" {summary['theory_over_mc'][i]:10.3g}")
        rows.append(row)
    return "\n".join(rows)


def run_learning_curve(problem, out="ntk-freq-results", name: str | None = None, *, n,
                       progress: bool = True, **options) -> Run:
    """Run :func:`ntk_freq.learning_curve` on ``problem`` (``options``: its keywords) and write
    ``out/name/`` with ``learning_curve.png``/``.pdf``, ``results.nc`` (the dataset) and
    ``summary.json`` (:func:`learning_curve_summary`, the problem and the provenance)."""
    from ntk_freq.comparison._results import write_dataset
    from ntk_freq.generalisation import learning_curve
    from ntk_freq.generalisation._figures import plot_learning_curve

    path = store.check_output(store.new_run_path(out, name or default_run_name("learning-curve")), RUN_BYTES)
    t0 = time.perf_counter()
    ds = learning_curve(problem, n, progress=progress, **options)
    summary = {"run": path.name, "problem": problem.record(), "options": options,
               **learning_curve_summary(ds), "seconds_total": time.perf_counter() - t0,
               "provenance": store.provenance()}
    with store.run_directory(path) as tmp:
        plot_learning_curve(ds, tmp / "learning_curve.png")
        write_dataset(tmp / "results.nc", ds)
        store.write_json(tmp / "summary.json", summary)
    return Run(path=path, result=ds, summary=summary)
