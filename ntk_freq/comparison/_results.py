"""Labelled results: a comparison (or a sweep of them) as one xarray Dataset, stored as netCDF.

A comparison's Dataset (:func:`comparison_dataset`) has the dimensions

- ``rho``: the ρ_w of the run (their specs as written), ``route``: pde, kernel, kernel_gd, nn;
- ``time``: flow time t = η · step; ``xi``: angular frequency ξ ≥ 0 (û(ξ) = ∫ u(x) e^{−iξx} dx);
- ``kappa``: the target's frequencies κ_k; ``gap``: pde_vs_kernel, nn_vs_kernel,
  kernel_gd_vs_kernel; ``step``: gradient-descent step 0…steps; ``x``: the data grid;

the data variables ``u_hat`` (rho, route, time, xi; complex), ``remaining`` (rho, route, time,
kappa; |û(κ, t)|/|û(κ, 0)|), ``rel_l2`` (rho, gap, time), ``loss`` (rho, step),
``max_stable_eta`` (rho), ``seconds`` (rho, route; wall time, not reproducible), ``y`` (x) and
the network's kernel-regime diagnostics (:mod:`ntk_freq.regime`) ``ntk_change``,
``ntk_change_stderr``, ``param_distance``, ``linearisation_gap`` (rho, time);
the scalar settings of the run (sigma_a, width, seed, part, eta, steps, …) as scalar
coordinates, so that a sweep promotes the ones it varies to dimensions. In d ≥ 2 the ξ grid
is the box [−ξ_max, ξ_max]^d with dimensions ``xi_1`` … ``xi_d`` in place of ``xi``, ``kappa``
holds labels such as "(2,0)" with the wave vectors in ``kappa_vector`` (kappa, axis), and the
data are indexed by ``point`` with their positions in ``x`` (point, axis). Attributes: ``spec``
and ``provenance`` (JSON strings), ``ntk_freq_version``, ``conventions``.

netCDF has no complex type: :func:`write_dataset` stores each complex variable ``v`` as the
float pair ``v_real``/``v_imag`` (marked by the attribute ``ntk_freq_complex``) and
:func:`open_results` joins them again, so a round trip is exact. Files are written through
h5netcdf to a temporary name and renamed (never half-written).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from ntk_freq._util import store
from ntk_freq._util import validation as v

#: The spec fields that become scalar coordinates of a comparison's Dataset.
SCALAR_FIELDS = ("sigma_a", "width", "seed", "part", "dtype", "eta", "steps", "n_snapshots",
                 "half_width", "n_points", "xi_max", "n_xi", "dim")

UNITS = {
    "time": ("flow time t = η · step", "1 (t = eta * step)"),
    "test_error": ("test error Σ_j w_j (f(x_j, t) − y_j)² on the problem's test points (no ½; "
                   "NaN for routes without a prediction away from the data)", "squared target units"),
    "train_error": ("training error Σ_i q_i u_i² (no ½: twice the loss (1/2N) Σ u²)", "squared target units"),
    "xi": ("angular frequency ξ (û(ξ) = ∫ u(x) e^{−iξx} dx)", "rad per unit of x"),
    "kappa": ("target frequency κ (d ≥ 2: its label)", "rad per unit of x"),
    "kappa_vector": ("target wave vector κ_k", "rad per unit of x"),
    **{f"xi_{i}": (f"angular frequency ξ_{i} (component {i} of ξ)", "rad per unit of x")
       for i in (1, 2, 3)},
    "x": ("data point x_i (cell-centred grid of D = [−L, L])", "unit of x"),
    "step": ("gradient-descent step", "1"),
    "u_hat": ("error spectrum û(ξ, t) of u = f − y", "unit of u times (unit of x)^d"),
    "remaining": ("remaining fraction |û(κ, t)| / |û(κ, 0)|", "1"),
    "rel_l2": ("relative L² gap over ξ to the kernel flow", "1"),
    "loss": ("mean training loss (1/2N) Σ (f − y)² before each step", "unit of u squared"),
    "max_stable_eta": ("gradient-descent stability limit 2/λ_max(Θ(X, X)/N)", "1"),
    "seconds": ("wall time of each route (not reproducible)", "s"),
    "y": ("target y(x_i)", "unit of u"),
    "ntk_change": ("relative NTK change ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F of the trained network", "1"),
    "ntk_change_stderr": ("jackknife standard error of ntk_change (0: exact)", "1"),
    "param_distance": ("relative parameter distance ‖θ_t − θ_0‖/‖θ_0‖", "1"),
    "linearisation_gap": ("‖f(θ_t) − f_lin(θ_t)‖/‖f(θ_t) − f(θ_0)‖, f_lin linearised at θ_0", "1"),
}

#: The per-snapshot kernel-regime diagnostics a comparison's Dataset holds.
REGIME_VARIABLES = ("ntk_change", "ntk_change_stderr", "param_distance", "linearisation_gap")

CONVENTIONS = ("angular frequencies; û(ξ) = ∫ u(x) e^{−iξx} dx ≈ Σ_i u(x_i) e^{−iξx_i} Δx; "
               "flow time t = η · step; data density c = 1/|D|; doubling initialisation, u₀ = −y")


def _xr():
    import xarray as xr

    return xr


def comparison_dataset(cmp) -> "xarray.Dataset":  # noqa: F821
    """A :class:`ntk_freq.comparison.Comparison` as a labelled Dataset (module docstring)."""
    if not all(hasattr(cmp, a) for a in ("spec", "xi", "times", "kappa", "x", "y", "results")):
        raise TypeError(f"cmp must be a Comparison (ntk_freq.compare), got {cmp!r:.80} "
                        f"({type(cmp).__name__})")
    xr = _xr()
    results = cmp.results
    gaps = tuple(results[0].rel_l2)
    n_steps = max(len(r.loss) for r in results)
    loss = np.full((len(results), n_steps), np.nan)
    for i, r in enumerate(results):
        loss[i, : len(r.loss)] = r.loss
    dim = cmp.dim
    xi_dims = ("xi",) if dim == 1 else tuple(f"xi_{i + 1}" for i in range(dim))
    data = {
        "u_hat": (("rho", "route", "time", *xi_dims),
                  np.stack([[r.u_hat[route] for route in ROUTES] for r in results])),
        "remaining": (("rho", "route", "time", "kappa"),
                      np.stack([[r.remaining[route] for route in ROUTES] for r in results])),
        "rel_l2": (("rho", "gap", "time"), np.stack([[r.rel_l2[g] for g in gaps] for r in results])),
        "loss": (("rho", "step"), loss),
        "max_stable_eta": (("rho",), np.array([r.max_stable_eta for r in results])),
        "seconds": (("rho", "route"),
                    np.array([[r.seconds.get(route, np.nan) for route in ROUTES] for r in results])),
        "y": (("x",) if dim == 1 else ("point",), np.asarray(cmp.y, float)),
    }
    if all(r.test_error for r in results):  # the problems have test points
        for kind in ("test_error", "train_error"):
            data[kind] = (("rho", "route", "time"), np.stack([[
                getattr(r, kind).get(route, np.full(len(cmp.times), np.nan)) for route in ROUTES]
                for r in results]))
    if all(r.regime is not None for r in results):
        for name in REGIME_VARIABLES:
            data[name] = (("rho", "time"), np.stack([getattr(r.regime, name) for r in results]))
    coords = {
        "rho": [r.rho for r in results], "route": list(ROUTES), "gap": list(gaps),
        "time": cmp.times, "step": np.arange(n_steps),
        **{f: cmp.spec[f] for f in SCALAR_FIELDS if f in cmp.spec},  # sigma_a: FF-NNs only
    }
    if dim == 1:
        coords.update(xi=cmp.xi, kappa=cmp.kappa, x=np.asarray(cmp.x, float))
    else:
        from ntk_freq._util.labels import kappa_key

        axis = cmp.xi[(0,) * (dim - 1)][:, -1]  # the grid's nodes along the last axis
        coords.update({d: axis for d in xi_dims},
                      kappa=[kappa_key(k).removeprefix("xi=") for k in cmp.kappa])
        data["kappa_vector"] = (("kappa", "axis"), np.asarray(cmp.kappa, float))
        data["x"] = (("point", "axis"), np.asarray(cmp.x, float))
    ds = xr.Dataset(data, coords=coords, attrs={
        "title": f"ntk-freq comparison: PDE ({cmp.spec.get('model') or 'not run'}), kernel flow, "
                 "kernel GD map, trained network",
        "pde_model": str(cmp.spec.get("model") or "none") + ("_L" if cmp.spec.get("loss", "mse") != "mse"
                                                              and cmp.spec.get("model") else ""),
        "loss": str(cmp.spec.get("loss", "mse")),
        "dim": int(dim),
        "spec": json.dumps(cmp.spec, sort_keys=True, default=store._json_default),
        "provenance": json.dumps(store.provenance(), default=store._json_default),
        "ntk_freq_version": package_version(),
        "conventions": CONVENTIONS,
    })
    return label(ds)


def label(ds):
    """Attach long names and units (:data:`UNITS`) to the variables and coordinates present."""
    v.instance("ds", ds, _xr().Dataset, "an xarray Dataset")
    dim = ds.attrs.get("dim")
    for name, (long_name, units) in UNITS.items():
        if name in ds.variables:
            if dim is not None:  # the transform's Δx^d: say the power
                units = units.replace("(unit of x)^d", "unit of x" if dim == 1 else f"(unit of x)^{dim}")
            ds[name].attrs.update(long_name=long_name, units=units)
    return ds


def package_version() -> str:
    from ntk_freq import __version__

    return __version__


def encode_complex(ds):
    """Each complex variable ``v`` → float variables ``v_real`` and ``v_imag`` (netCDF has no
    complex type)."""
    v.instance("ds", ds, _xr().Dataset, "an xarray Dataset")
    out = ds.copy()
    for name in [n for n, var in ds.data_vars.items() if np.iscomplexobj(var.values)]:
        var = out[name]
        for part, values in (("real", var.real), ("imag", var.imag)):
            out[f"{name}_{part}"] = values.assign_attrs({**var.attrs, "ntk_freq_complex": part})
        out = out.drop_vars(name)
    return out


def decode_complex(ds):
    """Inverse of :func:`encode_complex`."""
    v.instance("ds", ds, _xr().Dataset, "an xarray Dataset")
    pairs = [n[: -len("_real")] for n, var in ds.data_vars.items()
             if var.attrs.get("ntk_freq_complex") == "real"]
    for name in pairs:
        re, im = ds[f"{name}_real"], ds[f"{name}_imag"]
        attrs = {k: v for k, v in re.attrs.items() if k != "ntk_freq_complex"}
        ds = ds.drop_vars([f"{name}_real", f"{name}_imag"])
        ds[name] = (re + 1j * im).assign_attrs(attrs)
    return ds


def dataset_bytes(ds) -> bytes:
    """``ds`` as netCDF-4 bytes (h5netcdf), complex variables split (:func:`encode_complex`).
    Written with Dask's synchronous scheduler: under a distributed Client xarray would otherwise
    take a cluster-wide lock, which an in-memory file cannot have."""
    import dask

    v.instance("ds", ds, _xr().Dataset, "an xarray Dataset")
    encoded = encode_complex(ds)
    encoded.attrs = {**encoded.attrs, "checksum": dataset_digest(encoded)}
    buffer = io.BytesIO()
    with dask.config.set(scheduler="synchronous"):
        encoded.to_netcdf(buffer, engine="h5netcdf")
    return buffer.getvalue()


def dataset_digest(ds) -> str:
    """:func:`ntk_freq._util.store.digest` of every variable and coordinate of ``ds`` (with its
    dims), as netCDF stores them (complex variables split)."""
    return store.digest({f"{kind}/{name}": (var.dims, var.values)
                         for kind, items in (("vars", ds.data_vars), ("coords", ds.coords))
                         for name, var in items.items()})


def point_bytes(ds) -> bytes:
    """``ds`` as the bytes of a NumPy ``.npz`` archive (no pickles): every variable and coordinate
    as an array ``vars/NAME`` or ``coords/NAME`` (complex and string arrays as they are), and one
    JSON entry ``meta`` with the dimensions and attributes. A sweep's point files use it: writing
    and reading take milliseconds, against 0.1–1 s for netCDF through h5netcdf, whose cost is per
    variable (:func:`read_point` is the inverse; the round trip is exact)."""
    v.instance("ds", ds, _xr().Dataset, "an xarray Dataset")
    meta = {"attrs": ds.attrs, "vars": {}, "coords": {}}
    arrays = {}
    for kind, items in (("vars", ds.data_vars), ("coords", ds.coords)):
        for name, var in items.items():
            meta[kind][name] = {"dims": list(var.dims), "attrs": var.attrs}
            arrays[f"{kind}/{name}"] = np.asarray(var.values)
    meta["checksum"] = store.digest(arrays)
    arrays["meta"] = np.array(json.dumps(meta, default=store._json_default))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def read_point(path, *, point_hash: str | None = None) -> "xarray.Dataset":  # noqa: F821
    """Inverse of :func:`point_bytes`, from a file, verified: CorruptResult naming the file if
    it is unreadable, its numbers fail their checksum, or (with ``point_hash``) it answers
    another point (a copy of, or a link to, another point's file)."""
    xr = _xr()
    with store.open_npz(path, "point file") as f:
        try:
            meta = json.loads(str(f["meta"]))
            arrays = {f"{kind}/{n}": f[f"{kind}/{n}"] for kind in ("vars", "coords") for n in meta[kind]}
        except (KeyError, ValueError, TypeError, OSError, EOFError) as error:
            raise store.CorruptResult(f"point file {str(path)!r} is damaged ({type(error).__name__}: {error})") from None
    store.verify(path, arrays, meta.get("checksum"))
    held = meta["attrs"].get("point_hash")
    if point_hash is not None and held != point_hash:
        raise store.CorruptResult(f"point file {str(path)!r} holds the results of point {held}, not of "
                                  f"point {point_hash} (a copy of or a link to another point's file)")

    def variables(kind):
        return {n: xr.Variable(m["dims"], arrays[f"{kind}/{n}"], m["attrs"]) for n, m in meta[kind].items()}

    return xr.Dataset(variables("vars"), coords=variables("coords"), attrs=meta["attrs"])


def write_dataset(path, ds) -> Path:
    """Write ``ds`` as netCDF-4 (h5netcdf) at ``path``, atomically."""
    v.instance("ds", ds, _xr().Dataset, "an xarray Dataset")
    data = dataset_bytes(ds)
    return store.atomic_write(path, lambda f: f.write(data))


def open_results(path) -> "xarray.Dataset":  # noqa: F821
    """The labelled results at ``path``: a ``.nc`` file, or a run or sweep directory holding
    ``results.nc``, or a sweep's point file (``.npz``, :func:`point_bytes`). Loaded into memory
    (the file is closed again); complex variables joined."""
    xr = _xr()
    path = Path(path)
    if path.suffix == ".npz" and path.is_file():
        ds = read_point(path)
        ds.attrs.pop("checksum", None)
        return ds
    if path.is_dir():
        path = path / "results.nc"
    if not path.is_file():
        raise FileNotFoundError(f"no results file at {str(path)!r} (a .nc file or a directory "
                                "with results.nc, as written by ntk-freq run or ntk-freq sweep)")
    try:
        handle = xr.open_dataset(path, engine="h5netcdf")
    except (OSError, ValueError, KeyError, TypeError) as error:
        size = path.stat().st_size
        raise store.CorruptResult(f"results file {str(path)!r} is not a readable netCDF file "
                                  f"({'empty file' if size == 0 else f'{size} bytes; {type(error).__name__}'}): "
                                  "truncated or not written by ntk-freq") from None
    with handle as ds:
        store.check_declared_size(path, sum(v.size * v.dtype.itemsize for v in ds.variables.values()))
        ds = ds.load()
    checksum = ds.attrs.pop("checksum", None)
    store.verify(path, {f"{kind}/{name}": (var.dims, var.values)
                        for kind, items in (("vars", ds.data_vars), ("coords", ds.coords))
                        for name, var in items.items()}, checksum)
    return decode_complex(ds)


ROUTES = ("pde", "kernel", "kernel_gd", "nn")
