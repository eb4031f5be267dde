"""Parameter sweeps of :func:`ntk_freq.comparison.compare` on Dask distributed (``ntk-freq sweep``).

A sweep config (TOML) has four top-level keys, all optional but at least one varied field::

    experiment = "quick"            # base settings: a named experiment of ntk_freq.experiments
    [fixed]                         # settings shared by every point (any compare setting)
    steps = 200
    [grid]                          # cartesian product: one dimension per key
    rho = ["gaussian:3", "uniform:10"]
    sigma_a = [0.25, 0.5, 1.0]
    [[zip]]                         # lists of equal length varied together: one dimension per
    width = [256, 1024, 4096]       # table, named after its first key; the others become
    eta = [0.5, 0.5, 0.25]          # coordinates along it

Varied fields are the scalar settings of ``compare`` (sigma_a, width, eta, steps, n_snapshots,
half_width, n_points, xi_max, n_xi, seed, part, dtype, target, data (a data-density spec),
data_layout, model) and ``rho``: one ρ_w spec per point (``compare(rhos=[rho])``); a fixed list
of several is ``rhos`` in ``[fixed]``. The dimension ``dim`` and ``pde_options`` are fixed for
a sweep (``[fixed]``, or the named experiment's, e.g. ``experiment = "quick-2d"``).

The output folder holds ``sweep.json`` (the normalised config, its hash, every point's settings
by hash), ``points/<hash>.npz`` (one point's Dataset, :func:`ntk_freq.comparison.comparison_dataset`,
in the NumPy archive of :func:`ntk_freq.comparison.point_bytes` (milliseconds to write and read,
where netCDF through h5netcdf takes 0.1–1 s per point); ``ntk_freq.open_results`` reads it),
written atomically as soon as the point finishes) and, at the end, ``results.nc``: the points
combined into one Dataset whose dimensions are the varied fields (then rho, route, time, xi, …;
an outer join, NaN where a point has no value, e.g. times of another η). A point's hash is the
SHA-256 of its full settings and the package version: a sweep run again in the same folder
(after a kill, say) reuses every stored point and computes only the missing ones.

Threads: each Dask worker runs one task at a time with JAX (XLA) and the BLAS libraries
single-threaded (:data:`SINGLE_THREAD_ENV`, set before the worker imports JAX), so that n
workers use n cores and do not fight over them; a LocalCluster gets one worker per core.
Compilation: points of the same shapes run the same XLA programs, so a local sweep (a
LocalCluster, or ``ntk-freq sweep --serial``) keeps JAX's persistent compilation cache in ``OUT/jax-cache`` and compiles each
program once, not once per point (a cached executable is the same code: same numbers).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import shutil
import time
import typing
import warnings
from dataclasses import dataclass
from pathlib import Path

from ntk_freq._util import validation as v
from ntk_freq._util import store
from ntk_freq.comparison._results import (package_version, dataset_bytes, point_bytes, read_point,  # noqa: F401
                                          write_dataset)

#: Environment of a sweep worker: Eigen's and the BLAS/OpenMP pools on one thread (XLA's own
#: pool follows the worker's CPU affinity, set by :func:`_single_thread_worker`).
SINGLE_THREAD_ENV = {
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


#: JAX options of a sweep's persistent compilation cache: keep every program, however small.
CACHE_OPTIONS = {"jax_persistent_cache_min_compile_time_secs": 0.0,
                 "jax_persistent_cache_min_entry_size_bytes": 0}


def compilation_cache_options(out: Path) -> dict:
    """JAX options for a persistent compilation cache in ``out/jax-cache``."""
    return {"jax_compilation_cache_dir": str((out / "jax-cache").resolve()), **CACHE_OPTIONS}


def compilation_cache_env(out: Path) -> dict:
    """:func:`compilation_cache_options` as the environment variables JAX reads at import."""
    return {name.upper(): str(value) for name, value in compilation_cache_options(out).items()}


def use_compilation_cache(out: Path) -> None:
    """The cache of :func:`compilation_cache_options` in this process, unless one is set
    already. JAX's setting is global and stays for the rest of the process: ``ntk-freq sweep
    --serial`` calls this; :func:`run_sweep` leaves the caller's JAX alone."""
    import jax

    if jax.config.jax_compilation_cache_dir is None:
        for name, value in compilation_cache_options(out).items():
            jax.config.update(name, value)


CONFIG_KEYS = ("experiment", "fixed", "grid", "zip")
#: Settings of compare that can vary, besides ``rho``; their types come from the fields of the
#: problem, its network and schedule (:data:`ntk_freq.problem.SETTINGS`).
VARIED = ("sigma_a", "width", "eta", "steps", "n_snapshots", "half_width", "n_points", "xi_max",
          "n_xi", "seed", "part", "dtype", "target", "data", "data_layout", "model")

#: Largest share of the free disk (and of the available memory) a sweep's results may take.
RESOURCE_FRACTION = 0.5


def _field_types() -> dict:
    """Field → allowed Python types (ints are numbers too; bools are neither)."""
    from ntk_freq.problem import SETTINGS

    types = {"rho": (str,), "target": (str,), "data": (str,), "seed": (int,), "model": (str,)}
    for name in VARIED:
        if name in types:
            continue
        owner, field = SETTINGS[name]
        hint = typing.get_type_hints(owner)[field.name]
        if typing.get_origin(hint) is typing.Literal:
            types[name] = (str,)
            continue
        args = typing.get_args(hint) or (hint,)
        allowed = tuple(a for a in args if a is not type(None))
        types[name] = (int, float) if float in allowed else allowed
    return types


@dataclass(frozen=True)
class Dimension:
    """One dimension of a sweep: its name, the fields varied along it (the first is the name)
    and their values, one tuple per field."""

    name: str
    fields: tuple
    values: tuple

    def __len__(self) -> int:
        return len(self.values[0])


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: base settings of compare and the dimensions varied over them."""

    base: dict
    dims: tuple

    @property
    def shape(self) -> tuple:
        return tuple(len(d) for d in self.dims)

    def record(self) -> dict:
        """JSON-ready: what identifies the sweep."""
        return {"base": self.base,
                "dims": [{"name": d.name, "fields": list(d.fields),
                          "values": [list(vals) for vals in d.values]} for d in self.dims]}

    def hash(self) -> str:
        return spec_hash(self.record())

    @property
    def size(self) -> int:
        """The number of points, from the dimensions' lengths (nothing enumerated)."""
        return math.prod(self.shape)

    def points(self) -> list:
        """Every point: (index tuple, coordinates {field: value}, compare settings); refuses
        more than :data:`MAX_POINTS` before building any."""
        check_size(self)
        out = []
        for index in itertools.product(*(range(len(d)) for d in self.dims)):
            coords = {f: d.values[k][i] for d, i in zip(self.dims, index)
                      for k, f in enumerate(d.fields)}
            settings = dict(self.base)
            if "rho" in coords:
                settings["rhos"] = [coords["rho"]]
            settings.update({f: val for f, val in coords.items() if f != "rho"})
            out.append((index, coords, settings))
        return out


#: The most points one sweep may hold: each is a comparison of seconds to minutes, so 10⁵ points
#: are days of one machine already; beyond it the sweep is refused before any point is built.
MAX_POINTS = 100_000


def check_size(spec: "SweepSpec") -> None:
    """ValueError for a sweep of more than :data:`MAX_POINTS` points, from its shape alone."""
    if spec.size > MAX_POINTS:
        shape = " × ".join(f"{len(d)} {d.name}" for d in spec.dims)
        raise ValueError(f"the sweep has {spec.size:.3g} points ({shape}), more than {MAX_POINTS} "
                         "(each point is a comparison of seconds to minutes); split it into smaller "
                         "sweeps or use fewer values per dimension")


def spec_hash(record) -> str:
    """SHA-256 (first 16 hex digits) of canonical JSON of ``record`` and the package version."""
    text = json.dumps({"record": record, "ntk_freq_version": package_version()}, sort_keys=True,
                      default=store._json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_value(field: str, value, types) -> object:
    if isinstance(value, bool) or not isinstance(value, types[field]):
        allowed = " or ".join(t.__name__ for t in types[field])
        raise TypeError(f"sweep field {field!r}: value {value!r} is a {type(value).__name__}; "
                        f"allowed: {allowed}")
    return float(value) if float in types[field] else value


def _check_list(where: str, field: str, values, types) -> tuple:
    if field not in types:
        raise ValueError(f"{where}: unknown field {field!r}; allowed: {sorted(types)} (a fixed "
                         "list of several rho_w is 'rhos' in [fixed])")
    if not isinstance(values, list):
        raise TypeError(f"{where}: {field} must be a list of values, got {values!r}")
    if not values:
        raise ValueError(f"{where}: {field} is an empty list, which would make an empty grid")
    checked = tuple(_check_value(field, val, types) for val in values)
    if len(set(checked)) != len(checked):
        raise ValueError(f"{where}: {field} repeats a value: {list(values)}")
    return checked


def parse_config(config: dict) -> SweepSpec:
    """A sweep config (module docstring) → :class:`SweepSpec`; ValueError/TypeError on unknown
    keys, wrong types, empty lists or zips of unequal lengths, a field varied twice."""
    from ntk_freq.experiments._run import EXPERIMENTS, experiment_settings

    if not isinstance(config, dict):
        raise TypeError(f"a sweep config is a table of {list(CONFIG_KEYS)}, got {config!r}")
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise ValueError(f"sweep config: unknown key(s) {unknown}; allowed: {list(CONFIG_KEYS)}")
    experiment = config.get("experiment", "default")
    if experiment not in EXPERIMENTS:
        raise ValueError(f"sweep config: experiment must be one of {sorted(EXPERIMENTS)}, "
                         f"got {experiment!r}")
    fixed = config.get("fixed", {})
    grid = config.get("grid", {})
    zips = config.get("zip", [])
    for key, val, kind in (("fixed", fixed, dict), ("grid", grid, dict), ("zip", zips, list)):
        if not isinstance(val, kind):
            raise TypeError(f"sweep config: [{key}] must be a {'table' if kind is dict else 'list of tables ([[zip]])'}, got {val!r}")
    types = _field_types()
    dims = [Dimension(f, (f,), (_check_list("[grid]", f, vals, types),)) for f, vals in grid.items()]
    for i, table in enumerate(zips):
        if not isinstance(table, dict) or not table:
            raise ValueError(f"sweep config: [[zip]] number {i + 1} must be a non-empty table of lists")
        values = tuple(_check_list(f"[[zip]] {i + 1}", f, vals, types) for f, vals in table.items())
        lengths = {f: len(vals) for f, vals in zip(table, values)}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"sweep config: [[zip]] number {i + 1} zips lists of unequal lengths "
                             f"{lengths}; zipped lists must have one length")
        dims.append(Dimension(next(iter(table)), tuple(table), values))
    if not dims:
        raise ValueError("sweep config: nothing varies; give at least one list in [grid] or "
                         "[[zip]] (an empty grid has no points)")
    varied = [f for d in dims for f in d.fields]
    twice = sorted({f for f in varied if varied.count(f) > 1})
    if twice:
        raise ValueError(f"sweep config: field(s) {twice} varied in more than one place")
    clash = sorted((set(varied) | ({"rhos"} if "rho" in varied else set())) & set(fixed))
    if clash:
        raise ValueError(f"sweep config: field(s) {clash} both fixed and varied")
    base = experiment_settings(experiment, fixed)
    base["rhos"] = list(base["rhos"])
    for f in VARIED:
        if f in fixed and base[f] is not None:
            base[f] = _check_value(f, base[f], types)
    return SweepSpec(base=base, dims=tuple(dims))


def load_sweep_config(path) -> SweepSpec:
    """Read and validate a sweep config file (TOML)."""
    from ntk_freq.experiments._run import read_toml

    return parse_config(read_toml(path, "sweep config file"))


def check_point(settings: dict) -> None:
    """Every check :func:`ntk_freq.comparison.compare` makes before its first route
    (:func:`ntk_freq.comparison.comparison_setup`: ρ_w, target, ranges, the data grid's Nyquist
    limit, the training budget, in the point's dimension), so that a bad value stops the
    sweep before any point runs."""
    from ntk_freq.comparison._compare import comparison_setup, problems_from_settings

    problems, options = problems_from_settings(settings)
    comparison_setup(problems, **options)


def point_nbytes(settings: dict) -> int:
    """Bytes of one point's Dataset: û (complex, ρ × 4 routes × T × K, K = n_xi^d ξ nodes)
    dominates; the rest is remaining fractions, gaps, the kernel-regime diagnostics, the loss
    per step and the data (N = n_points^d points, d + 1 numbers each)."""
    from ntk_freq.problem import DEFAULT_N_XI

    if not isinstance(settings, dict) or not {"rhos", "n_snapshots", "steps", "n_points"} <= settings.keys():
        raise TypeError("settings must be a point's settings dict (rhos, n_snapshots, steps, n_points), "
                        f"got {settings!r:.80}")
    d = settings.get("dim") or 1
    n_xi = settings.get("n_xi") or DEFAULT_N_XI[d]
    n_rho, n_t = len(settings["rhos"]), settings["n_snapshots"] + 1
    return 8 * (n_rho * (4 * n_t * (2 * n_xi**d + 8) + 7 * n_t + settings["steps"] + 16)
                + (d + 1) * settings["n_points"]**d) + 16_384


def check_resources(spec: SweepSpec, out: Path, max_bytes: float | None = None) -> int:
    """Estimate the disk the points and the combined Dataset take (and the memory the latter
    needs) and refuse, with MemoryError naming the estimate, what would exceed ``max_bytes`` or
    :data:`RESOURCE_FRACTION` of the free disk or the available memory. Returns the estimate."""
    v.instance("spec", spec, SweepSpec, "a SweepSpec (ntk_freq.experiments.load_sweep_config)")
    out = Path(v.instance("out", out, (str, os.PathLike), "a folder path (str or Path)"))
    points = spec.points()
    per_point = max(point_nbytes(s) for _, _, s in points)
    combined = per_point * len(points)
    disk = 2 * combined
    anchor = next(p for p in (out, *out.parents) if p.exists())
    free = shutil.disk_usage(anchor).free
    if max_bytes is not None and disk > max_bytes:
        raise MemoryError(f"the sweep's {len(points)} points need about {disk / 2**30:.3g} GiB of "
                          f"disk (points and combined results), more than max_disk = "
                          f"{max_bytes / 2**30:.3g} GiB; sweep fewer points or smaller grids (n_xi, "
                          "n_snapshots)")
    if disk > RESOURCE_FRACTION * free:
        raise MemoryError(f"the sweep's {len(points)} points need about {disk / 2**30:.3g} GiB of "
                          f"disk, more than {RESOURCE_FRACTION:.0%} of the {free / 2**30:.3g} GiB "
                          f"free under {str(anchor)!r}; sweep fewer points or use another --out")
    v.fits_in_memory(f"the combined Dataset of the sweep's {len(points)} points", combined,
                     RESOURCE_FRACTION)
    return disk


# --- the output folder ---------------------------------------------------------------------------

def prepare_folder(spec: SweepSpec, out: Path) -> dict:
    """Create ``out`` with sweep.json, or check that it holds this very sweep (ValueError
    otherwise: nothing is overwritten); remove temporaries a killed run left. Returns the
    record of sweep.json."""
    v.instance("spec", spec, SweepSpec, "a SweepSpec (ntk_freq.experiments.load_sweep_config)")
    record = {"sweep_hash": spec.hash(), "spec": spec.record(),
              "points": {spec_hash(s): s for _, _, s in spec.points()}}
    manifest = out / "sweep.json"
    if manifest.exists():
        try:
            held = json.loads(manifest.read_text())
        except (ValueError, UnicodeDecodeError) as error:
            raise store.CorruptResult(f"{str(manifest)!r} is not the JSON record ntk-freq writes "
                                      f"({type(error).__name__}); use another output folder or "
                                      "remove this one") from None
        if held.get("sweep_hash") != record["sweep_hash"]:
            raise ValueError(f"output folder {str(out)!r} holds the results of a different sweep "
                             f"(hash {held.get('sweep_hash')}, this one {record['sweep_hash']}); "
                             "use another --out, or delete that folder to start again")
    elif out.exists() and any(out.iterdir()):
        raise ValueError(f"output folder {str(out)!r} exists and is not a sweep folder (no "
                         "sweep.json); use a new or empty --out")
    else:
        store.write_json(manifest, {**record, "provenance": store.provenance()})
    (out / "points").mkdir(parents=True, exist_ok=True)
    return record


@contextlib.contextmanager
def folder_lock(out: Path):
    """Hold ``out/.lock`` (an advisory lock the system drops when the process dies) while a
    sweep runs in ``out``; ValueError if another sweep holds it. Removes the temporaries of a
    point that a killed run was writing."""
    import fcntl

    with open(out / ".lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"another sweep is running in {str(out)!r}; wait for it or use "
                             "another --out") from None
        for stale in (out / "points").glob(".*.tmp"):
            stale.unlink()
        yield


def point_path(out: Path, key: str) -> Path:
    return out / "points" / f"{key}.npz"


def compute_point(settings: dict, key: str) -> bytes:
    """One point: :func:`ntk_freq.comparison.compare` → its labelled Dataset, marked with its
    hash, as the bytes of its point file (:func:`ntk_freq.comparison.point_bytes`; what the client
    stores). Runs in a Dask worker (or in this process
    for a serial sweep)."""
    from threadpoolctl import threadpool_limits

    from ntk_freq.comparison._compare import compare_settings

    with threadpool_limits(1):  # one BLAS thread, as in a worker: the same rounding everywhere
        ds = compare_settings(settings, progress=False).to_dataset()
    ds.attrs["point_hash"] = key
    ds.attrs["code_source_sha256"] = store.code_identity()["source_sha256"]
    return point_bytes(ds)


def reusable(out: Path, key: str) -> bool:
    """Whether ``out`` holds a verified point file for ``key`` computed by this code. A file
    that fails verification (unreadable, edited, another point's copy or link) or was computed
    by other code is reported (:class:`ntk_freq._util.store.RecomputedWarning`, naming it and
    why) and removed, so the point is computed again."""
    path = point_path(out, key)
    if not path.exists() and not path.is_symlink():
        return False
    try:
        ds = read_point(path, point_hash=key)
        why = None if ds.attrs.get("code_source_sha256") == store.code_identity()["source_sha256"] \
            else "it was computed by other code (another version or an edited source)"
    except (store.CorruptResult, FileNotFoundError) as error:
        why = str(error)
    if why is None:
        return True
    warnings.warn(f"sweep point {str(path)!r} is not reused: {why}; computing it again",
                  store.RecomputedWarning, stacklevel=3)
    path.unlink(missing_ok=True)
    return False


def _single_thread_worker(dask_worker=None) -> bool:
    """Run in each worker before its first point: set :data:`SINGLE_THREAD_ENV` and, where the
    OS allows, pin a LocalCluster's worker to one core (worker i to the i-th core it may use;
    an existing cluster's workers, named by address, are not pinned): XLA sizes its
    CPU thread pool by the cores a process may run on, and no environment variable of
    :data:`SINGLE_THREAD_ENV` stops a jitted matrix product from using every core (measured:
    CPU/wall 1.95 on 2 cores without the pin, 1.00 with it). True when JAX was not imported yet
    (so both take effect)."""
    import sys

    os.environ.update(SINGLE_THREAD_ENV)
    fresh = "jax" not in sys.modules
    name = getattr(dask_worker, "name", None)  # ``Client.run`` passes the worker to this argument
    # LocalCluster workers are numbered 0, 1, …: one core each. Workers of an existing cluster
    # are named by their address; pinning them by a hash could put two on one core, so they
    # are left to how they were started (docs/sweeps.md: taskset).
    if fresh and isinstance(name, int) and hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[name % len(cores)]})
    return fresh


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its folder, the combined Dataset, how many points were computed now
    and how many were reused from the folder, and the wall time."""

    path: Path
    dataset: object
    computed: int
    reused: int
    seconds: float


def run_sweep(spec: SweepSpec, out, scheduler: str | None = None, *, n_workers: int | None = None,
              serial: bool = False, max_disk: float | None = None, progress: bool = True,
              connect_timeout: float = 5.0) -> SweepResult:
    """Run every missing point of ``spec`` into the folder ``out`` (module docstring) and
    return the combined Dataset (also written to ``out/results.nc``).

    serial: in this process, point after point (no Dask); otherwise on the Dask cluster at
    ``scheduler`` (an address such as tcp://host:8786; ValueError when nothing answers within
    ``connect_timeout`` s) or on a LocalCluster of ``n_workers`` single-threaded processes
    (default: one per core). max_disk: bytes the sweep may take on disk."""
    t0 = time.perf_counter()
    out = Path(out)
    points = spec.points()
    for _, _, settings in points:
        check_point(settings)
    check_resources(spec, out, max_disk)
    if n_workers is not None:
        v.positive_int("n_workers", n_workers)
    prepare_folder(spec, out)
    with folder_lock(out):
        todo = [(spec_hash(s), s) for _, _, s in points if not reusable(out, spec_hash(s))]
        if todo and serial:
            _run_serial(todo, out, progress)
        elif todo:
            _run_dask(todo, out, scheduler, n_workers, progress, connect_timeout)
        dataset = combine(spec, out)
        write_dataset(out / "results.nc", dataset)
    return SweepResult(path=out, dataset=dataset, computed=len(todo),
                       reused=len(points) - len(todo), seconds=time.perf_counter() - t0)


def _progress_bar(todo, out: Path, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(total=len(todo), desc=f"sweep {out.name}: points", unit="point", disable=not progress)


def _run_serial(todo, out, progress) -> None:
    with _progress_bar(todo, out, progress) as bar:
        for key, settings in todo:
            _store_point(out, key, compute_point(settings, key))
            bar.update()


def _store_point(out: Path, key: str, data: bytes) -> None:
    store.atomic_write(point_path(out, key), lambda f: f.write(data))


def connect(scheduler: str | None, n_workers: int | None, timeout: float, *, env: dict | None = None):
    """A Dask client: to the scheduler at ``scheduler`` (ValueError when it does not answer
    within ``timeout`` s), or to a new LocalCluster of single-threaded worker processes with
    the environment ``env`` added."""
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError, ValueError) as err:
            raise ValueError(f"scheduler {scheduler!r} did not answer within {timeout:g} s "
                             f"({type(err).__name__}: {err}); start one with `dask scheduler` "
                             "and workers with `dask worker ADDRESS --nthreads 1`, or leave "
                             "--scheduler out for a LocalCluster") from None
    else:
        cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, env={**SINGLE_THREAD_ENV, **(env or {})},
                               dashboard_address=None)
        client = Client(cluster)
    client.run(_single_thread_worker)
    return client


def _run_dask(todo, out, scheduler, n_workers, progress, connect_timeout) -> None:
    from dask.distributed import as_completed

    client = connect(scheduler, n_workers, connect_timeout, env=compilation_cache_env(out))
    try:
        futures = {client.submit(compute_point, s, key, key=f"ntk-freq-point-{key}", pure=False): key
                   for key, s in todo}
        with _progress_bar(todo, out, progress) as bar:
            for future in as_completed(futures):
                key = futures[future]
                if future.status == "error":
                    client.cancel(list(futures))
                    err = future.exception()
                    raise RuntimeError(f"sweep point {key} ({dict(todo)[key]}) failed: "
                                       f"{type(err).__name__}: {err}") from err
                _store_point(out, key, future.result())
                bar.update()
    finally:
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


# --- combining -----------------------------------------------------------------------------------

def combine(spec: SweepSpec, out: Path):
    """The stored points as one Dataset with the sweep's dimensions first (module docstring),
    each point's hash in the variable ``point_hash``."""
    import numpy as np
    import xarray as xr

    from ntk_freq.comparison._results import CONVENTIONS, label

    names = [d.name for d in spec.dims]
    nested = np.empty(spec.shape, dtype=object)
    for index, coords, settings in spec.points():
        ds = read_point(point_path(out, spec_hash(settings)), point_hash=spec_hash(settings))
        key, ds.attrs = ds.attrs["point_hash"], {}
        for d in spec.dims:
            if d.name != "rho":             # rho is a dimension of every point already
                ds = ds.expand_dims(d.name)
            ds = ds.assign_coords({f: (d.name, [coords[f]]) for f in d.fields})
        ds["point_hash"] = (names, np.full((1,) * len(names), key))
        nested[index] = ds
    combined = xr.combine_nested(nested.tolist(), concat_dim=names, join="outer",
                                 combine_attrs="drop", data_vars="all", coords="different",
                                 compat="equals").transpose(*names, ...)
    combined.attrs = {
        "title": "ntk-freq sweep of compare: PDE (the model in each point's spec: (E2) in d = 1 by "
                 "default, (E3) otherwise), kernel flow, kernel GD map, trained network",
        "sweep": json.dumps(spec.record(), default=store._json_default),
        "sweep_hash": spec.hash(),
        "provenance": json.dumps(store.provenance(), default=store._json_default),
        "ntk_freq_version": package_version(),
        "conventions": CONVENTIONS,
    }
    return label(combined)


def sweep_summary(result: SweepResult) -> str:
    """Two lines: points computed and reused, wall time, where the results are."""
    v.instance("result", result, SweepResult, "a SweepResult (ntk_freq.experiments.run_sweep)")
    n = result.computed + result.reused
    return (f"{n} points ({result.computed} computed, {result.reused} reused from {result.path}) "
            f"in {result.seconds:.1f} s\nwrote {result.path / 'results.nc'} "
            f"(ntk_freq.open_results) with dimensions {dict(result.dataset.sizes)}")


def default_out(config_path) -> Path:
    """``ntk-freq-results/sweep-<config file stem>``."""
    return Path("ntk-freq-results") / f"sweep-{Path(config_path).stem}"
