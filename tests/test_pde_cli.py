"""The ``ntk-freq pde`` command: prints |û| at probes (checked against the exact frozen-W decay)
and writes its figure and csv."""

import math

import numpy as np
from click.testing import CliRunner

from ntk_freq.cli import main
from ntk_freq.data._targets import target


def test_pde_command_prints_exact_frozen_w_decay(tmp_path):
    # Frozen W: |û(ξ, t)| = |ŷ(ξ)| e^{−c 2π ρ̄_w(ξ) t} exactly; the printed 5 digits must match.
    out = tmp_path / "run"
    result = CliRunner().invoke(main, [
        "pde", "--rho", "gaussian:2", "--target", "windowed-sines:1,3", "--times", "0,10",
        "--part", "readout", "--density", "0.1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line.strip().startswith("10 ")]
    printed = np.array([float(x) for x in rows[0][1:]])
    xi = np.array([1.0, 3.0])
    rho_bar = np.exp(-xi**2 / 8) / math.sqrt(8 * math.pi)
    exact = np.abs(target("windowed-sines:1,3").fourier(xi)) * np.exp(-0.1 * 2 * np.pi * rho_bar * 10)
    assert np.allclose(printed, exact, rtol=1e-4)
    assert (out / "pde.png").stat().st_size > 0 and (out / "pde.csv").exists()


def test_pde_command_reports_bad_input(tmp_path):
    result = CliRunner().invoke(main, ["pde", "--rho", "gaussian:2", "--density", "-1",
                                       "--out", str(tmp_path)])
    assert result.exit_code != 0 and "density" in result.output


def test_pde_command_refuses_bad_probes_before_solving(tmp_path, monkeypatch):
    import ntk_freq.pde

    def no_solve(*args, **kwargs):
        raise AssertionError("solved before the probes were checked")

    monkeypatch.setattr(ntk_freq.pde, "solve_frequency_pde", no_solve)
    for probes in ("nan", "4,inf", ","):
        result = CliRunner().invoke(main, ["pde", "--rho", "gaussian:2", "--probes", probes,
                                           "--out", str(tmp_path)])
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
        assert "--probes" in result.output and repr(probes) in result.output


def test_pde_refuses_to_overwrite_and_replaces_with_force(tmp_path):
    """A second run into the same folder is refused before solving; --force replaces it; the
    options and provenance are recorded."""
    import json

    from click.testing import CliRunner

    from ntk_freq.cli import main

    args = ["pde", "--rho", "gaussian:2", "--target", "windowed-sines:2", "--times", "0,5",
            "--out", str(tmp_path / "p")]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code != 0 and "already holds results" in again.output
    assert CliRunner().invoke(main, args + ["--force"]).exit_code == 0
    meta = json.loads((tmp_path / "p" / "pde.json").read_text())
    assert meta["options"]["rho_spec"] == "gaussian:2" and "packages" in meta["provenance"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import ntk_freq.pde
    from ntk_freq.cli import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ntk_freq.pde, "solve_frequency_pde", interrupted)
    res = CliRunner().invoke(main, ["pde", "--rho", "gaussian:2", "--out", str(tmp_path / "p")])
    assert res.exit_code == 130
    assert not (tmp_path / "p").exists()
