"""Sweeps: a 2-worker LocalCluster gives the same numbers as the points run one by one, bit for
bit; a sweep killed with SIGKILL resumes, computing only the missing points; bad configs and
folders are refused before any point runs, with nothing overwritten."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

import ntk_freq
from ntk_freq.experiments import _sweep as sweep
from ntk_freq.cli import main

# two tiny points (a few seconds each): sigma_a and seed zipped, one rho_w
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
seed = [0, 1]
"""
#: the deterministic outputs; "seconds" is wall time and differs between runs
COMPARED = ("u_hat", "remaining", "rel_l2", "loss", "max_stable_eta", "y")


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    path.write_text(CONFIG)
    return path


SERIAL = """
import sys
from pathlib import Path
import ntk_freq
from ntk_freq.experiments import _sweep as sweep
spec = sweep.load_sweep_config(sys.argv[1])
for _, c, s in spec.points():
    data = sweep.dataset_bytes(ntk_freq.compare(**s, progress=False).to_dataset())
    (Path(sys.argv[2]) / f"{c['sigma_a']!r}.nc").write_bytes(data)
"""


@pytest.fixture(scope="module")
def serial_reference(config, tmp_path_factory):
    """Each point computed directly by ntk_freq.compare, one after another in one fresh process
    under the workers' thread policy (sweep.SINGLE_THREAD_ENV: one BLAS and one XLA thread), so
    that bit-for-bit equality tests the distribution, not the rounding of a thread count."""
    folder = tmp_path_factory.mktemp("serial")
    subprocess.run([sys.executable, "-c", SERIAL, str(config), str(folder)], check=True,
                   env={**os.environ, **sweep.SINGLE_THREAD_ENV}, timeout=600)
    spec = sweep.load_sweep_config(config)
    return {c["sigma_a"]: ntk_freq.open_results(folder / f"{c['sigma_a']!r}.nc") for _, c, _ in spec.points()}


def assert_same_numbers(dataset, reference):
    assert dataset.sizes["sigma_a"] == len(reference)
    for sigma_a, ref in reference.items():
        point = dataset.sel(sigma_a=sigma_a)
        assert point.seed.item() == ref.seed.item()
        for name in COMPARED:
            np.testing.assert_array_equal(point[name].values, ref[name].values, err_msg=name)


def test_local_cluster_equals_serial_bit_for_bit(config, serial_reference, tmp_path):
    spec = sweep.load_sweep_config(config)
    result = sweep.run_sweep(spec, tmp_path / "sw", n_workers=2, progress=False)
    assert (result.computed, result.reused) == (2, 0)
    assert result.dataset.u_hat.dims[:2] == ("sigma_a", "rho")
    assert_same_numbers(result.dataset, serial_reference)
    assert_same_numbers(ntk_freq.open_results(tmp_path / "sw"), serial_reference)
    # `ntk-freq sweep --serial` in this process (its own thread counts): every number but the
    # wall times equal to the cluster's, bit for bit (points run under one BLAS thread either way)
    serial = sweep.run_sweep(spec, tmp_path / "serial", serial=True, progress=False).dataset
    for name in serial.data_vars:
        if name != "seconds":
            np.testing.assert_array_equal(serial[name].values, result.dataset[name].values, err_msg=name)


def test_killed_sweep_resumes_and_computes_only_the_missing_points(config, serial_reference,
                                                                   tmp_path):
    out = tmp_path / "sw"
    code = "import sys; from ntk_freq.cli import main; main(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-c", code, "sweep", str(config), "--serial",
                             "--quiet", "--out", str(out)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("points/*.npz")) and time.monotonic() < deadline:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    stored = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("points/*.npz")}
    assert len(stored) == 1 and not (out / "results.nc").exists()
    result = sweep.run_sweep(sweep.load_sweep_config(config), out, serial=True, progress=False)
    assert (result.computed, result.reused) == (1, 1)
    for name, stat in stored.items():       # finished points neither recomputed nor rewritten
        p = out / "points" / name
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == stat
    assert not list(out.glob("points/.*"))  # the temporary of the point in flight is gone
    assert_same_numbers(result.dataset, serial_reference)


def test_unreachable_scheduler_fails_within_seconds(config, tmp_path):
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="did not answer within 2 s"):
        sweep.run_sweep(sweep.load_sweep_config(config), tmp_path / "sw",
                        scheduler="tcp://127.0.0.1:9", connect_timeout=2.0, progress=False)
    assert time.monotonic() - t0 < 15
    assert not list((tmp_path / "sw").glob("points/*.npz"))


@pytest.mark.parametrize("text, error, match", [
    ("colour = 1\n[grid]\nseed = [0]", ValueError, r"unknown key\(s\) \['colour'\]"),
    ("[grid]\nwidht = [1, 2]", ValueError, "unknown field 'widht'"),
    ("[grid]\nrhos = ['gaussian:3']", ValueError, "unknown field 'rhos'"),
    ("[grid]\nwidth = ['big']", TypeError, "'width': value 'big' is a str; allowed: int"),
    ("[grid]\nsigma_a = [true]", TypeError, "'sigma_a'"),
    ("[grid]\nwidth = 16", TypeError, "must be a list"),
    ("[grid]\nseed = []", ValueError, "empty list"),
    ("[fixed]\nwidth = 16", ValueError, "nothing varies"),
    ("[[zip]]\nwidth = [1, 2]\nseed = [0]", ValueError, "unequal lengths"),
    ("[grid]\nseed = [0]\n[[zip]]\nseed = [1]", ValueError, "varied in more than one place"),
    ("[fixed]\nseed = 1\n[grid]\nseed = [0]", ValueError, "both fixed and varied"),
    ("experiment = 'nope'\n[grid]\nseed = [0]", ValueError, "experiment must be one of"),
])
def test_bad_configs_are_refused(text, error, match, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(error, match=match):
        sweep.load_sweep_config(path)


def test_bad_point_values_and_oversized_grids_are_refused_before_any_point(tmp_path):
    bad = sweep.parse_config({"grid": {"width": [16, 0]}})
    with pytest.raises(ValueError, match="width must be an integer >= 1, got 0"):
        sweep.run_sweep(bad, tmp_path / "a", serial=True)
    nyquist = sweep.parse_config({"grid": {"n_points": [20]}})
    with pytest.raises(ValueError, match="Nyquist"):
        sweep.run_sweep(nyquist, tmp_path / "b", serial=True)
    big = sweep.parse_config({"fixed": {"n_xi": 100_000}, "grid": {"seed": list(range(50))}})
    with pytest.raises(MemoryError, match=r"need about .* GiB of disk .* max_disk"):
        sweep.run_sweep(big, tmp_path / "c", serial=True, max_disk=2**30)
    assert not any(tmp_path.iterdir())


def test_points_are_checked_in_their_dimension_with_compares_own_checks(tmp_path):
    """A 2-D sweep's points pass the checks of compare in d = 2 (they were parsed as 1-D);
    a bad value in any point (an unknown model, a data spec, a 2-D grid below the Nyquist
    limit, a training beyond the budget) stops the sweep before any point runs."""
    ok = sweep.parse_config({"experiment": "quick-2d", "grid": {"sigma_a": [0.25, 0.5]}})
    for _, _, settings in ok.points():
        sweep.check_point(settings)
    bad = [({"experiment": "quick-2d", "grid": {"n_points": [32, 8]}}, ValueError, "Nyquist"),
           ({"grid": {"model": ["E2", "E4"]}}, ValueError, "model must be one of"),
           ({"grid": {"data": ["box:10", "box:-1"]}}, ValueError, "half_width must be"),
           ({"grid": {"steps": [10, 10**7]}}, MemoryError, "budget")]
    for config, error, match in bad:
        with pytest.raises(error, match=match):
            sweep.run_sweep(sweep.parse_config(config), tmp_path / "sw", serial=True)
        assert not any(tmp_path.iterdir())


def test_a_folder_of_another_sweep_or_other_files_is_not_touched(config, tmp_path):
    out = tmp_path / "sw"
    other = sweep.parse_config({"fixed": {"width": 8}, "grid": {"seed": [0, 1]}})
    sweep.prepare_folder(other, out)
    before = (out / "sweep.json").read_bytes()
    with pytest.raises(ValueError, match="holds the results of a different sweep"):
        sweep.run_sweep(sweep.load_sweep_config(config), out, serial=True)
    assert (out / "sweep.json").read_bytes() == before
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(ValueError, match="not a sweep folder"):
        sweep.run_sweep(sweep.load_sweep_config(config), foreign, serial=True)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_a_folder_in_use_by_another_sweep_is_refused(config, tmp_path):
    spec = sweep.load_sweep_config(config)
    sweep.prepare_folder(spec, tmp_path)
    with sweep.folder_lock(tmp_path):
        with pytest.raises(ValueError, match="another sweep is running"):
            sweep.run_sweep(spec, tmp_path, serial=True)
    assert not list(tmp_path.glob("points/*"))


def test_cli_reports_a_bad_config(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[grid]\nwidth = []")
    res = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "empty list" in res.output


@settings(max_examples=30, deadline=None)
@given(widths=st.lists(st.integers(1, 10_000), min_size=1, max_size=4, unique=True),
       seeds=st.lists(st.integers(0, 99), min_size=1, max_size=3, unique=True),
       zipped=st.integers(1, 3))
def test_points_are_the_product_of_the_dimensions_and_hash_apart(widths, seeds, zipped):
    spec = sweep.parse_config({"grid": {"width": widths, "seed": seeds},
                               "zip": [{"eta": [0.1 * (k + 1) for k in range(zipped)],
                                        "steps": list(range(10, 10 + zipped))}]})
    points = spec.points()
    assert len(points) == len(widths) * len(seeds) * zipped == np.prod(spec.shape)
    assert len({sweep.spec_hash(s) for _, _, s in points}) == len(points)
    for _, coords, s in points:
        assert s["width"] == coords["width"] and s["steps"] == 10 + round(coords["eta"] / 0.1) - 1
    assert json.loads(json.dumps(spec.record()))["dims"][0]["name"] == "width"


def test_the_disk_estimate_bounds_a_two_dimensional_point(tmp_path):
    """The estimate counts û on the n_xi^d ξ nodes of the point's dimension (it counted n_xi,
    200× too few in 3-D): at least the stored file, and within 4× of it."""
    spec = sweep.parse_config({"experiment": "quick-2d", "fixed": {"width": 16, "steps": 10,
                                                                  "n_snapshots": 2},
                               "grid": {"seed": [0]}})
    result = sweep.run_sweep(spec, tmp_path / "sw", serial=True, progress=False)
    (path,) = (tmp_path / "sw" / "points").glob("*.npz")
    estimate = sweep.point_nbytes(spec.points()[0][2])
    assert path.stat().st_size <= estimate <= 4 * path.stat().st_size
    assert result.dataset.sizes["xi_2"] == 25


PIN = """
import json, os, sys, types
from ntk_freq.experiments import _sweep as sweep
before = sorted(os.sched_getaffinity(0))
fresh = sweep._single_thread_worker(types.SimpleNamespace(name=json.loads(sys.argv[1])))
print(json.dumps([fresh, before, sorted(os.sched_getaffinity(0)), os.environ["OPENBLAS_NUM_THREADS"]]))
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this OS")
@pytest.mark.parametrize("name", [1, "tcp://10.0.0.7:40123"])
def test_local_workers_are_pinned_by_number_and_remote_ones_left_alone(name):
    """LocalCluster worker i goes to the i-th core; a worker named by its address keeps its
    cores (a core chosen from a hash of the name could put two workers on one)."""
    out = subprocess.run([sys.executable, "-c", PIN, json.dumps(name)], capture_output=True,
                         text=True, check=True).stdout
    fresh, before, after, threads = json.loads(out.strip().splitlines()[-1])
    assert fresh and threads == "1"
    assert after == ([before[1 % len(before)]] if name == 1 else before)
