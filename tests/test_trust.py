"""Nothing stored is trusted unchecked: results files, point files, labelled results and cached
``reproduce`` results are verified when read. Fault injection — truncate, garbage, empty,
edit, copy, link, other code, a killed run — each reported naming the file, then recomputed
(sweeps, reproduce) or refused (readers)."""

import functools
import json
import os
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ntk_freq
from ntk_freq._util import store
from ntk_freq.comparison._results import open_results, point_bytes, read_point, write_dataset
from ntk_freq.generalisation import learning_curve
from ntk_freq.experiments import _reproduce as reproduce
from ntk_freq.experiments import _sweep as sweep


@pytest.fixture
def results_file(tmp_path):
    path = tmp_path / "r.npz"
    store.write_results(path, {"a": np.arange(12.0).reshape(3, 4), "b": np.ones(5)}, {"spec": {"x": 1}})
    return path


def _rewrite_npz(path, change):
    """Rewrite an .npz with ``change(arrays)`` applied and its meta entry kept as it was."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def test_a_results_file_round_trips_with_its_checksum_and_code_identity(results_file):
    arrays, meta = store.read_results(results_file)
    assert np.array_equal(arrays["a"], np.arange(12.0).reshape(3, 4))
    assert meta["checksum"] == store.digest(arrays)
    assert meta["provenance"]["code"]["source_sha256"] == store.code_identity()["source_sha256"]


@pytest.mark.parametrize("damage, match", [
    (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "not a readable .npz"),
    (lambda p: p.write_bytes(b""), "empty file"),
    (lambda p: p.write_bytes(os.urandom(4096)), "not a readable .npz"),
    (lambda p: _rewrite_npz(p, lambda a: a.__setitem__("a", a["a"] + 1e-12)), "do not match the checksum"),
    (lambda p: _rewrite_npz(p, lambda a: a.pop("b")), "do not match the checksum"),
])
def test_a_damaged_results_file_is_refused_naming_it(results_file, damage, match):
    damage(results_file)
    with pytest.raises(store.CorruptResult, match=match) as info:
        store.read_results(results_file)
    assert str(results_file) in str(info.value)


def test_a_file_declaring_more_than_memory_is_refused_before_reading(tmp_path, monkeypatch):
    """A small archive of zeros that declares 8 MB: refused from its declared size (the memory
    limit lowered to 1 MB), with nothing materialised."""
    path = tmp_path / "big.npz"
    np.savez_compressed(path, meta=np.array("{}"), zeros=np.zeros(1_000_000))
    assert path.stat().st_size < 100_000
    monkeypatch.setattr("ntk_freq._util.validation.available_memory_bytes", lambda: 1_000_000)
    with pytest.raises(MemoryError, match="declared contents"):
        store.read_results(path)


def test_labelled_results_are_verified(tmp_path):
    ds = ntk_freq.learning_curve(ntk_freq.Problem(), [10], progress=False)
    path = write_dataset(tmp_path / "results.nc", ds)
    assert float(open_results(path).test_error_theory.values[0, 0]) == float(ds.test_error_theory.values[0, 0])
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as held:   # an edit that keeps the checksum attribute
        edited = held.load()
    edited["effective_ridge"] = edited["effective_ridge"] * 2
    edited.to_netcdf(tmp_path / "edited.nc", engine="h5netcdf")
    with pytest.raises(store.CorruptResult, match="edited.nc.*do not match the checksum"):
        open_results(tmp_path / "edited.nc")
    (tmp_path / "empty.nc").write_bytes(b"")
    with pytest.raises(store.CorruptResult, match="empty file"):
        open_results(tmp_path / "empty.nc")


def test_a_point_file_that_answers_another_point_is_refused(tmp_path):
    ds = ntk_freq.learning_curve(ntk_freq.Problem(), [10], progress=False)
    path = tmp_path / "a.npz"
    path.write_bytes(point_bytes(ds.assign_attrs(point_hash="a")))
    assert read_point(path, point_hash="a").attrs["point_hash"] == "a"
    os.symlink(path, tmp_path / "b.npz")
    with pytest.raises(store.CorruptResult, match="another point's file"):
        read_point(tmp_path / "b.npz", point_hash="b")


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=2048))
def test_garbage_never_reads_as_results(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("garbage") / "x.npz"
    path.write_bytes(data)
    with pytest.raises((store.CorruptResult, MemoryError)):
        store.read_results(path)


# --- sweeps: damaged, copied, linked or stale points are computed again --------------------------

CONFIG = """
experiment = "quick"
[fixed]
rhos = ["gaussian:3"]
width = 64
steps = 10
n_snapshots = 3
n_xi = 21
eta = 0.1
[[zip]]
sigma_a = [0.25, 0.75]
"""


def test_sweep_points_are_verified_before_reuse(tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    spec = sweep.load_sweep_config(config)
    out = tmp_path / "sweep"
    first = sweep.run_sweep(spec, out, serial=True, progress=False)
    keys = [sweep.spec_hash(s) for _, _, s in spec.points()]
    a, b = (sweep.point_path(out, k) for k in keys)
    assert first.computed == 2
    assert sweep.run_sweep(spec, out, serial=True, progress=False).reused == 2
    shutil.copy(a, b)  # another point's numbers under this point's name
    with pytest.warns(store.RecomputedWarning, match=f"{b.name}.*holds the results of point {keys[0]}"):
        again = sweep.run_sweep(spec, out, serial=True, progress=False)
    assert again.computed == 1
    np.testing.assert_array_equal(again.dataset.rel_l2.values, first.dataset.rel_l2.values)
    b.write_bytes(b.read_bytes()[:100])  # truncated
    with pytest.warns(store.RecomputedWarning, match="not a readable .npz"):
        assert sweep.run_sweep(spec, out, serial=True, progress=False).computed == 1


def test_sweep_points_of_other_code_are_computed_again(tmp_path, monkeypatch):
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    spec = sweep.load_sweep_config(config)
    out = tmp_path / "sweep"
    sweep.run_sweep(spec, out, serial=True, progress=False)
    other = {**store.code_identity(), "source_sha256": "f" * 64}
    monkeypatch.setattr(store, "code_identity", lambda: other)
    with pytest.warns(store.RecomputedWarning, match="computed by other code"):
        assert sweep.run_sweep(spec, out, serial=True, progress=False).computed == 2


# --- reproduce: the cache is verified, cleaned and clearable -------------------------------------


@pytest.fixture
def fake_experiment(monkeypatch):
    calls = []

    def fake(directory, quick, progress):
        calls.append(quick)
        (directory / "data.csv").write_text("1,2\n")
        return {"value": len(calls)}

    monkeypatch.setitem(reproduce.REGISTRY, "fake", reproduce.NamedExperiment("fake", "test", "x:y"))
    monkeypatch.setattr(reproduce.NamedExperiment, "function", lambda self: fake)
    return calls


@pytest.mark.parametrize("damage, match", [
    (lambda p: (p / "data.csv").write_text("1,3\n"), "files changed since.*data.csv"),
    (lambda p: (p / "extra.png").write_bytes(b"x"), "files changed since.*extra.png"),
    (lambda p: (p / "data.csv").unlink(), "files changed since.*data.csv"),
    (lambda p: (p / "summary.json").write_text("{"), "summary.json is missing or unreadable"),
])
def test_an_edited_cached_result_is_computed_again(tmp_path, fake_experiment, damage, match):
    path = reproduce.reproduce("fake", tmp_path, quick=True, progress=False)
    damage(path)
    with pytest.warns(store.RecomputedWarning, match=match):
        reproduce.reproduce("fake", tmp_path, quick=True, progress=False)
    assert fake_experiment == [True, True]
    assert reproduce.cached("fake", tmp_path, quick=True)


def test_temporaries_of_a_killed_run_are_removed_and_the_cache_clears(tmp_path, fake_experiment):
    path = reproduce.reproduce("fake", tmp_path, quick=True, progress=False)
    dead = tmp_path / ".fake-quick.999999999.abc.tmp"  # a run killed mid-write (no such pid)
    dead.mkdir()
    assert reproduce.reproduce("fake", tmp_path, quick=True) == path and not dead.exists()
    assert reproduce.clear(tmp_path, ["fake"]) == [path] and not path.exists()


def test_cli_clear(tmp_path, fake_experiment):
    from click.testing import CliRunner

    from ntk_freq.cli import main

    reproduce.reproduce("fake", tmp_path, quick=True, progress=False)
    result = CliRunner().invoke(main, ["reproduce", "fake", "--clear", "--out", str(tmp_path)])
    assert result.exit_code == 0 and "removed 1" in result.output
    assert not (tmp_path / "fake-quick").exists()


def test_diagnose_refuses_repeated_inputs_and_foreign_files(tmp_path):
    from ntk_freq.diagnostics._diagnose import diagnose, load_arrays

    x = np.array([0.0, 0.0, 1.0, 1.0, 2.0, 2.0])
    y = np.sin(x)
    with pytest.raises(ValueError, match="3 repeated point"):
        diagnose({"inputs": x, "targets": y, "predictions": np.stack([0 * y, y])}, tmp_path / "out")
    (tmp_path / "p.npy").write_bytes(b"not an array")
    with pytest.raises(store.CorruptResult, match="p.npy.*not a readable .npy"):
        load_arrays(predictions=tmp_path / "p.npy", targets=tmp_path / "p.npy", inputs=tmp_path / "p.npy")


# --- outputs that say what they mean -----------------------------------------------------------


def test_spectrum_csv_gives_the_true_multiplicities_on_spheres(tmp_path):
    """On S^{d−1} the degree-k eigenvalue belongs to N(d, k) harmonics: 2k + 1 on S², (k + 1)² on
    S³; a trace summed from the CSV is the kernel's κ(1)."""
    from click.testing import CliRunner

    from ntk_freq.cli import main

    for dim, expected in ((3, [1, 3, 5, 7, 9]), (4, [1, 4, 9, 16, 25])):
        out = tmp_path / f"s{dim}"
        result = CliRunner().invoke(main, ["spectrum", "--network", "relu", "--bias", "0.5",
                                           "--domain", "sphere", "--dim", str(dim), "--kmax", "12",
                                           "--out", str(out)])
        assert result.exit_code == 0, result.output
        data = np.loadtxt(out / "spectrum.csv", delimiter=",", skiprows=1)
        assert data[:5, 2].astype(int).tolist() == expected


def test_spectral_peaks_say_their_order():
    """The same peaks (the strongest) in either order: by height, or by |ξ| ascending."""
    from ntk_freq.diagnostics import spectral_peaks

    x = np.linspace(-10, 10, 400)
    y = 0.3 * np.sin(2 * x) + np.sin(5 * x) + 0.6 * np.sin(8 * x)
    by_height = spectral_peaks(y, x, 12.0, n_peaks=3)[:, 0]
    by_frequency = spectral_peaks(y, x, 12.0, n_peaks=3, order="frequency")[:, 0]
    np.testing.assert_allclose(by_height, [5, 8, 2], atol=0.1)
    np.testing.assert_allclose(by_frequency, [2, 5, 8], atol=0.1)
    with pytest.raises(ValueError, match="order"):
        spectral_peaks(y, x, 12.0, order="size")


# --- size before work ----------------------------------------------------------------------------


def test_huge_grids_and_sweeps_are_refused_before_anything_is_built():
    import time

    t0 = time.perf_counter()
    with pytest.raises(MemoryError, match="ξ grid of 1000\\^3 nodes"):
        ntk_freq.Problem(dim=3, n_xi=1000)
    big = sweep.parse_config({"experiment": "quick", "grid": {"sigma_a": list(np.linspace(0.1, 1, 1000)),
                                                              "seed": list(range(1000))}})
    with pytest.raises(ValueError, match="1e\\+06 points"):
        big.points()
    assert time.perf_counter() - t0 < 10


def test_design_in_3d_is_quick_and_does_not_print_an_unresolved_check(tmp_path):
    """`ntk-freq design --dim 3` with its defaults: the uniform-ball design is trivial, and the
    full 3-D PDE check, capped at 20 000 DOFs, cannot resolve the ball's edge (mesh error ~0.1):
    it says so instead of printing its 41 %-off times as a check."""
    from click.testing import CliRunner

    from ntk_freq.cli import main

    result = CliRunner().invoke(main, ["design", "--dim", "3", "--out", str(tmp_path / "d3")])
    assert result.exit_code == 0, result.output
    assert "check not resolved" in result.output and "max |t/τ − 1| =" not in result.output.split("worst case")[1]
    record = json.loads((tmp_path / "d3" / "design.json").read_text())["pde_check"]
    assert record["resolved"] is False and record["times"] is None and record["dofs"] <= 20_000


# --- hostile inputs that used to give nonsense -------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(log_nu=st.floats(-3, 100), log_scale=st.floats(-60, 60))
def test_student_t_characteristic_function_is_a_characteristic_function(log_nu, log_scale):
    """φ(0) = 1, 0 ≤ φ ≤ 1 and φ decreasing in |z| for every ν and scale the class accepts
    (scipy's Bessel function returns NaN at arguments ≳ 10¹⁶ and the Debye form lost 13 digits at
    ν = 10¹², giving φ(0) = 1.003: both are handled)."""
    from ntk_freq.distributions import StudentT

    r = StudentT(nu=10.0**log_nu, scale=10.0**log_scale)
    z = np.geomspace(1e-3, 1e3, 25)[:, None] / r.scale
    phi = r._char_fn(np.vstack([[[0.0]], z]))
    assert phi[0] == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.isfinite(phi)) and np.all((phi >= 0) & (phi <= 1 + 1e-12))
    assert np.all(np.diff(phi) <= 1e-12)


def test_student_t_tends_to_the_gaussian():
    """The t_ν law tends to N(0, s²): at ν = 10⁶ its φ is the Gaussian's to O(1/ν)."""
    from ntk_freq.distributions import StudentT

    z = np.linspace(0, 3, 7)[:, None]
    for nu in (1e6, 1e12, 1e40):
        np.testing.assert_allclose(StudentT(nu=nu, scale=1.0)._char_fn(z), np.exp(-z[:, 0] ** 2 / 2),
                                   atol=10 / nu + 1e-14)


@pytest.mark.parametrize("spec, dim", [("uniform:10", 400), ("gaussian:1", 2000), ("cauchy:1", 500),
                                       ("laplace:0.01", 200)])
def test_densities_beyond_float64_are_refused_not_read_as_zero(spec, dim):
    """In high dimension a density's peak can leave float64 ((2B)^{−d} = 10^{−520}): pdf refuses
    (it read 0 inside the support; Cauchy overflowed with an OverflowError), while the kernel,
    which needs only φ_w, still works."""
    rho = ntk_freq.distribution(spec, dim)
    with pytest.raises(ValueError, match="outside float64's range"):
        rho.pdf(np.zeros((1, dim)))
    theta = ntk_freq.ff_ntk(np.zeros((1, dim)), np.full((1, dim), 1e-3), rho, sigma_a=1.0)
    assert np.isfinite(theta).all() and 0 < theta[0, 0] <= 1


def test_cauchy_density_in_log_space_keeps_its_closed_form():
    from scipy import special

    rho = ntk_freq.distribution("cauchy:2", 3)
    w = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    c = np.exp(special.gammaln(2.0)) / np.pi**2
    np.testing.assert_allclose(rho.pdf(w), c * 2 / (4 + np.sum(w**2, axis=1)) ** 2, rtol=1e-13)


def test_a_full_disk_leaves_nothing_half_written(tmp_path, monkeypatch):
    """A write that fails (ENOSPC: the disk is full) leaves neither the file nor a temporary,
    and an earlier version of the file stays as it was."""
    import errno

    path = tmp_path / "r.npz"
    store.write_results(path, {"a": np.ones(3)}, {})
    before = path.read_bytes()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", full)
    with pytest.raises(OSError, match="No space left"):
        store.write_results(path, {"a": np.zeros(3)}, {})
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["r.npz"]


# --- the new entry points under hostile input ----------------------------------------------------

_hostile = st.one_of(st.none(), st.booleans(), st.text(max_size=5), st.floats(allow_nan=True),
                     st.integers(-10, 0), st.lists(st.floats(allow_nan=True), max_size=3))


@settings(max_examples=60, deadline=None)
@given(n=_hostile, ridge=_hostile, noise=_hostile)
def test_eigenlearning_answers_hostile_input_with_a_clear_error_or_a_number(n, ridge, noise):
    from ntk_freq.generalisation import eigenlearning

    try:
        r = eigenlearning([1.0, 0.5, 0.25], [0.2, 0.1, 0.0], n, ridge=ridge, noise=noise)
    except (ValueError, TypeError) as error:
        assert str(error)  # names what is wrong
        return
    assert np.all(np.isfinite(r.kappa)) and np.all(r.test_error >= 0)


@settings(max_examples=25, deadline=None)
@given(n=_hostile, draws=st.one_of(_hostile, st.integers(0, 2)), times=_hostile)
def test_learning_curve_answers_hostile_input_with_a_clear_error(n, draws, times):
    population = _tiny_population()
    try:
        ds = learning_curve(population, n, draws=draws, times=times, progress=False)
    except (ValueError, TypeError) as error:
        assert str(error)
        return
    assert np.isfinite(ds.test_error_theory.values).all()


@functools.lru_cache(maxsize=1)
def _tiny_population():
    from ntk_freq.generalisation import nystrom

    x = np.linspace(-1, 1, 40)[:, None]
    return nystrom(lambda a, b: np.exp(-((a - b.T) ** 2)), x, np.full(40, 1 / 40),
                   sample=lambda rng, k: rng.uniform(-1, 1, (k, 1)), target=lambda p: np.sin(3 * p[:, 0]))


def test_a_gauss_legendre_rule_beyond_the_budget_is_refused_not_hung():
    """numpy builds an n-node rule from a dense eigenproblem: box_quadrature(…, 10⁹) never ended
    (found by the fuzz suite); now refused at once with the estimate, as is 10⁵."""
    import time

    from ntk_freq import kernels

    t0 = time.perf_counter()
    for n in (10**9, 10**5):
        with pytest.raises(MemoryError, match="Gauss–Legendre rule"):
            kernels.box_quadrature(-1.0, 1.0, n)
    assert time.perf_counter() - t0 < 5
    assert kernels.box_quadrature(-1.0, 1.0, 8)[1].sum() == pytest.approx(1.0)
