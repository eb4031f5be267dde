"""Named experiments and the main job: run the three-way comparison and write a run directory.

An experiment is a set of keyword arguments for :func:`ntk_freq.compare.compare`. Settings are
merged in the order: the named experiment < a TOML config file < explicit overrides (CLI flags).
A config file holds the same keys at top level, e.g.::

    experiment = "default"
    rhos = ["gaussian:3", "laplace:2", "uniform:10"]
    width = 8192
    seed = 3

The run directory ``<out>/<name>/`` holds ``learning_curves.png``, ``spectra.png``,
``summary.json`` (per ρ_w: gaps at the final time, remaining fractions, wall times) and
``results.npz`` (every array, the full spec and the provenance); it appears only when complete.
"""

from __future__ import annotations

import datetime
import inspect
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import store
from .compare import ROUTES, Comparison, WidthStudy, compare, width_study

EXPERIMENTS = {
    # Gaussian vs uniform ρ_w on a two-frequency target: the Gaussian prior learns κ = 2 long
    # before κ = 7 (ρ̄ differs by e^{-45/18} ≈ 0.08 between them); the band [−10, 10] learns both
    # at the same rate cπ/B. Wide domain D = [−10, 10] ≫ window w = 1.5; Nyquist π/Δx = 25.
    "default": dict(
        rhos=("gaussian:3", "uniform:10"), target="windowed-sines:2,7;width=1.5", sigma_a=0.5,
        width=4096, eta=0.5, steps=300, n_snapshots=31, half_width=10.0, n_points=160,
        n_xi=241, seed=0, part="full", dtype="float32",
    ),
    # The same science with small settings (the notebook and the tests).
    "quick": dict(
        rhos=("gaussian:3", "uniform:10"), target="windowed-sines:2,7;width=1.5", sigma_a=0.5,
        width=1024, eta=0.5, steps=300, n_snapshots=16, half_width=10.0, n_points=160,
        n_xi=121, seed=0, part="full", dtype="float32",
    ),
}

SETTINGS = tuple(p for p in inspect.signature(compare).parameters if p not in ("optimizer", "progress"))


def load_config(path) -> dict:
    """Read a TOML config (module docstring); unknown keys raise ValueError listing the allowed."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except FileNotFoundError:
        raise ValueError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"config file {str(path)!r} is not valid TOML: {e}") from None
    _check_keys(config, f"config file {path}", extra=("experiment",))
    return config


def experiment_settings(experiment: str | None = None, config: dict | None = None,
                        **overrides) -> dict:
    """The settings of a run: the named experiment (``experiment``, else the config's
    "experiment", else "default"), then ``config``, then the overrides that are not None."""
    config = dict(config or {})
    experiment = experiment or config.pop("experiment", None) or "default"
    config.pop("experiment", None)
    if experiment not in EXPERIMENTS:
        raise ValueError(f"experiment must be one of {sorted(EXPERIMENTS)}, got {experiment!r}")
    overrides = {k: val for k, val in overrides.items() if val is not None}
    _check_keys(overrides, "overrides")
    settings = {**EXPERIMENTS[experiment], **config, **overrides}
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
    result: Comparison | WidthStudy
    summary: dict


def default_run_name(prefix: str = "run") -> str:
    """``<prefix>-YYYYmmdd-HHMMSS`` (UTC)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"{prefix}-{now:%Y%m%d-%H%M%S}"


def comparison_arrays(cmp: Comparison) -> dict:
    """Every array of a comparison, keyed ``xi``, ``times``, …, ``rho<i>.<kind>.<route>``."""
    arrays = {"xi": cmp.xi, "times": cmp.times, "kappa": cmp.kappa, "x": cmp.x, "y": cmp.y}
    for i, r in enumerate(cmp.results):
        for route in ROUTES:
            arrays[f"rho{i}.u_hat.{route}"] = r.u_hat[route]
            arrays[f"rho{i}.remaining.{route}"] = r.remaining[route]
        for name, gap in r.rel_l2.items():
            arrays[f"rho{i}.rel_l2.{name}"] = gap
        arrays[f"rho{i}.loss"] = r.loss
    return arrays


def write_figures(cmp: Comparison, directory) -> list:
    """The learning curves and the |û(ξ, t)| heat maps of a comparison."""
    from . import plotting  # matplotlib: loaded only when figures are drawn

    directory = Path(directory)
    return [
        plotting.plot_learning_curves(
            cmp.times, cmp.kappa, [(r.rho, r.remaining, r.rel_l2) for r in cmp.results],
            directory / "learning_curves.png"),
        plotting.plot_spectrum_heatmaps(
            cmp.times, cmp.xi, [(r.rho, r.u_hat) for r in cmp.results], directory / "spectra.png"),
    ]


def run_experiment(settings: dict, out="ntk-freq-results", name: str | None = None,
                   progress: bool = True) -> Run:
    """Run :func:`compare` with ``settings`` and write the run directory ``out/name`` (module
    docstring). The name is checked before any computation; the directory appears complete or
    not at all."""
    path = store.new_run_path(out, name or default_run_name())
    t0 = time.perf_counter()
    cmp = compare(**settings, progress=progress)
    summary = {"run": path.name, "spec": cmp.spec, "rho": cmp.summary(),
               "seconds_total": time.perf_counter() - t0}
    with store.run_directory(path) as tmp:
        summary["seconds_total"] = time.perf_counter() - t0
        _write_comparison(cmp, tmp, summary["rho"])
        store.write_json(tmp / "summary.json", summary)
    return Run(path=path, result=cmp, summary=summary)


def _write_comparison(cmp: Comparison, directory: Path, metrics: dict) -> None:
    """The figures and results.npz of a comparison."""
    write_figures(cmp, directory)
    store.write_results(directory / "results.npz", comparison_arrays(cmp),
                        {"spec": cmp.spec, "seed": cmp.spec["seed"], "metrics": metrics})


def reproduce_default(directory: Path, quick: bool = False, progress: bool = True) -> dict:
    """The registered experiment "default" (``ntk-freq reproduce default``): the default
    comparison (the "quick" settings when ``quick``), its figures and results in ``directory``;
    returns the per-ρ_w summary."""
    cmp = compare(**experiment_settings("quick" if quick else "default"), progress=progress)
    summary = {"spec": cmp.spec, "rho": cmp.summary()}
    _write_comparison(cmp, directory, summary["rho"])
    return summary


def summary_table(summary: dict) -> str:
    """A short text table: per ρ_w the gaps at the final time (relative L² over ξ) and the
    remaining fraction |û(κ,t)|/|û(κ,0)| at each target frequency from PDE / kernel / network."""
    rows = list(summary["rho"].items())
    keys = list(rows[0][1]["remaining_fraction"]["kernel"])
    head = f"{'rho':<14}{'PDE vs kernel':>15}{'(E3) vs kernel':>16}{'NN vs kernel':>14}" + "".join(
        f"{'remaining ' + k + ' (pde/kernel/nn)':>36}" for k in keys)
    lines = [head]
    for rho, s in rows:
        rem = s["remaining_fraction"]
        cells = "".join(f"{' / '.join(f'{rem[r][k]:.3g}' for r in ('pde', 'kernel', 'nn')):>36}"
                        for k in keys)
        lines.append(f"{rho:<14}{s['pde_vs_kernel_rel_l2']:>15.3g}"
                     f"{s['pde_e3_vs_kernel_rel_l2']:>16.3g}{s['nn_vs_kernel_rel_l2']:>14.3g}{cells}")
    return "\n".join(lines)


def run_width_study(out="ntk-freq-results", name: str | None = None, progress: bool = True,
                    **settings) -> Run:
    """Run :func:`ntk_freq.compare.width_study` and write ``out/name/`` with
    ``width_study.png``, ``summary.json`` (widths, gaps, fitted exponent) and ``results.npz``."""
    from . import plotting

    path = store.new_run_path(out, name or default_run_name("width-study"))
    t0 = time.perf_counter()
    study = width_study(**settings, progress=progress)
    summary = {"run": path.name, "spec": study.spec, "widths": study.widths.tolist(),
               "gap_rms": study.gap.tolist(), "exponent": study.exponent,
               "prefactor": study.prefactor, "seconds_total": time.perf_counter() - t0}
    with store.run_directory(path) as tmp:
        plotting.plot_width_study(study.widths, study.gaps, study.exponent, study.prefactor,
                                  tmp / "width_study.png", title=study.rho)
        store.write_results(tmp / "results.npz", {"widths": study.widths, "gaps": study.gaps},
                            {"spec": study.spec, "seed": study.spec["seeds"],
                             "metrics": {"exponent": study.exponent, "prefactor": study.prefactor}})
        store.write_json(tmp / "summary.json", summary)
    return Run(path=path, result=study, summary=summary)
