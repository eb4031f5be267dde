"""Results on disk: output folders checked before work, temporaries of killed runs removed,
permissions from the umask, nothing half-written."""

import os
import subprocess
import sys

import pytest

from ntk_freq._util import store


def test_stale_temporaries_of_a_killed_process_are_removed(tmp_path):
    """A run killed mid-write leaves `.NAME.<pid>.*.tmp`; the next run's output check removes
    it when that process is gone, and keeps a live process's temporaries."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / f".run-1.{dead}.abc123.tmp").mkdir()
    (tmp_path / f".results.npz.{dead}.x_9.tmp").write_text("half")
    live = tmp_path / f".run-2.{os.getpid()}.zzz.tmp"
    live.mkdir()
    store.check_output(tmp_path / "run-3")
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name]


def test_files_follow_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        path = store.write_json(tmp_path / "a.json", {"x": 1})
        with store.run_directory(tmp_path / "run") as d:
            (d / "f").write_text("x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o700


def test_an_output_below_a_file_is_refused(tmp_path):
    target = tmp_path / "out"
    target.write_text("a file")
    with pytest.raises(ValueError, match="is a file"):
        store.check_output(target / "run")


def test_a_read_only_file_system_is_refused_even_for_root():
    with pytest.raises(ValueError, match="cannot write"):
        store.check_output("/proc/ntk-freq-results/run")


def test_too_long_a_name_and_too_little_room_are_refused(tmp_path):
    with pytest.raises(ValueError, match="longer than 255"):
        store.check_output(tmp_path / ("x" * 300))
    with pytest.raises(ValueError, match="MiB are free"):
        store.check_output(tmp_path / "run", nbytes=1e18)


def test_a_failed_run_directory_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with store.run_directory(tmp_path / "run") as d:
            (d / "half.txt").write_text("x")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
