"""``ntk-freq diagnose``: the F-principle diagnostics on a user's own saved predictions.

Input: arrays on disk (``.npy`` files, or one ``.npz`` holding them; never pickles):
``predictions`` (T, N) or (T, N, C), the network's outputs at the N training inputs at T
snapshots; ``targets`` (N,) or (N, C); ``inputs`` (N, d); optionally ``times`` (T,) (steps or
flow times; default 0…T−1). Output, in a folder: ``delta_f.csv``/``delta_f.png`` (Δ_F at the
target's spectral peaks: scalar targets on inputs of dimension ≤ 2), ``filtered.csv``/
``filtered.png`` (the filtering method at each δ) and ``diagnose.json`` (the learning times, in
the units of ``time_axis``; null where a curve does not reach ``level`` by ``t_max``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ntk_freq._util import validation as v
from ntk_freq.diagnostics import _spectral_bias as dg
from ntk_freq._util import store

KEYS = ("predictions", "targets", "inputs", "times")


def load_arrays(npz=None, **paths) -> dict:
    """The arrays of :data:`KEYS` from one ``.npz`` (``npz``) and/or single ``.npy`` files
    (``paths[key]``), loaded with ``allow_pickle=False``; the three required keys must be found."""
    arrays = {}
    if npz is not None:
        with store.open_npz(npz, "input archive") as z:
            unknown = sorted(set(z.files) - set(KEYS))
            if unknown:
                raise ValueError(f"{npz}: unknown array(s) {unknown}; allowed names: {list(KEYS)}")
            arrays.update({k: z[k] for k in z.files})
    for key, path in paths.items():
        if key not in KEYS:
            raise ValueError(f"unknown array name {key!r}; allowed: {list(KEYS)}")
        if path is not None:
            arrays[key] = store.load_npy(path, f"{key} file")
    missing = [k for k in KEYS[:3] if k not in arrays]
    if missing:
        raise ValueError(f"missing array(s) {missing}: pass them as .npy files or inside the .npz")
    return arrays


def diagnose(arrays: dict, out, deltas=None, *, n_peaks: int = 5, xi_max: float | None = None,
             level: float = 0.1) -> dict:
    """Run the diagnostics on ``arrays`` (:func:`load_arrays`) and write the results into the
    folder ``out`` (module docstring). ``deltas``: filter widths (default 1 and 2 × the median
    nearest-neighbour distance of the inputs); ``xi_max``: the largest |ξ| searched for peaks
    (default: the Nyquist frequency π/Δ of the median spacing); ``level``: the error at which a
    part counts as learned. Returns the summary written to ``diagnose.json``."""
    x = dg._inputs(arrays["inputs"])
    y = dg._targets(arrays["targets"], x.shape[0], vector_ok=True)
    h = dg._snapshots("predictions", arrays["predictions"], y.shape)
    t = np.arange(h.shape[0], dtype=float) if "times" not in arrays else \
        v.increasing_times("times", arrays["times"])
    if t.size != h.shape[0]:
        raise ValueError(f"times has {t.size} entries but predictions has {h.shape[0]} snapshots")
    level = v.positive("level", level)
    distinct = np.unique(x, axis=0).shape[0]
    if distinct < x.shape[0]:
        raise ValueError(f"inputs hold {x.shape[0] - distinct} repeated point(s) among {x.shape[0]}: "
                         "the spectra and filters need distinct inputs (average the targets and "
                         "predictions of repeated points first)")
    nn, diameter = dg.data_scale(x)
    deltas = [nn, 2 * nn] if deltas is None else [dg.check_filter_width(d, nn, diameter) for d in deltas]
    out = Path(out)
    summary = {"n_points": int(x.shape[0]), "dim": int(x.shape[1]), "snapshots": int(t.size),
               "median_nn_distance": nn, "level": level, "t_max": float(t[-1]),
               "time_axis": "snapshot index 0…T−1 (no times given)" if "times" not in arrays
               else "the times given"}
    if y.ndim == 1 and x.shape[1] <= 2:
        xi_max = np.pi / nn if xi_max is None else v.positive("xi_max", xi_max)
        summary["xi_max"] = xi_max
        by_height = dg.spectral_peaks(y, x, xi_max, n_peaks=n_peaks)
        xi = dg.spectral_peaks(y, x, xi_max, n_peaks=n_peaks, order="frequency")
        rank = [int(np.flatnonzero(np.all(by_height == p, axis=1))[0]) + 1 for p in xi]
        delta = dg.delta_f(h, y, x, xi=xi)
        t_peak = dg.learning_time(t, delta, level)
        summary["peaks_order"] = "frequency (|ξ| ascending); height_rank 1 is the strongest peak"
        summary["peaks"] = [{"xi": p.tolist(), "height_rank": r,
                             "learning_time": store.passage_time_json(tt)}
                            for p, r, tt in zip(xi, rank, t_peak)]
        _write_csv(out / "delta_f.csv", ["time"] + [f"xi={_label(p)}" for p in xi],
                   np.column_stack([t, delta]))
        _plot_curves(t, {f"ξ = {_label(p)}": delta[:, i] for i, p in enumerate(xi)},
                     r"$\Delta_F(\xi)$ = |ĥ − ŷ|/|ŷ|", "Δ_F at the target's spectral peaks",
                     level, out / "delta_f")
    filt = {d: dg.filtered_errors(h, y, x, delta=d) for d in deltas}
    summary["filtering"] = [{"delta": d, "high_fraction": fe.high_fraction,
                             "time_low": store.passage_time_json(dg.learning_time(t, fe.e_low, level)),
                             "time_high": store.passage_time_json(dg.learning_time(t, fe.e_high, level))}
                            for d, fe in filt.items()]
    cols = [t] + [c for fe in filt.values() for c in (fe.e_low, fe.e_high)]
    names = ["time"] + [f"{p}_delta={d:.4g}" for d in filt for p in ("e_low", "e_high")]
    _write_csv(out / "filtered.csv", names, np.column_stack(cols))
    curves = {}
    for d, fe in filt.items():
        curves[f"low, δ = {d:.3g}"] = fe.e_low
        curves[f"high, δ = {d:.3g}"] = fe.e_high
    _plot_curves(t, curves, "relative error of the part", "filtering method (low vs high)",
                 level, out / "filtered")
    store.write_json(out / "diagnose.json", {**summary, "provenance": store.provenance()})
    return summary


def _label(xi) -> str:
    return ",".join(f"{c:.4g}" for c in np.atleast_1d(xi))


def _write_csv(path: Path, names, table) -> None:
    store.atomic_write(path, lambda f: np.savetxt(f, table, delimiter=",", header=",".join(names),
                                                  comments=""))


def _plot_curves(t, curves: dict, ylabel: str, title: str, level: float, stem: Path) -> None:
    from ntk_freq.plotting._style import PALETTE
    from ntk_freq.diagnostics._classics import _save
    from ntk_freq.plotting._style import plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for i, (name, c) in enumerate(curves.items()):
        ls = "--" if name.startswith("high") else "-"
        ax.plot(t, np.maximum(c, 1e-16), color=PALETTE[(i // 2 if "δ" in name else i) % 8], ls=ls,
                label=name)
    ax.set_yscale("log")
    ax.axhline(level, color="gray", lw=0.8, ls=":")
    ax.set_xlabel("snapshot time (as saved: step or t = η·step)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    _save(fig, stem.parent, stem.name)
