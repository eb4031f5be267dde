"""ntk-freq diagnose on saved arrays: a synthetic run whose Δ_F and filtered errors are known,
and the refusals (pickles, missing arrays, bad δ) before any work."""

import json

import numpy as np
from click.testing import CliRunner

from ntk_freq.cli import main

X = np.linspace(0, 2 * np.pi, 128, endpoint=False)
RATES = [(1, 1), (0.3, 1), (0.03, 0.5), (0.003, 0.05)]


def _synthetic(tmp_path):
    # Δ_F(2) = 1, 0.3, 0.03, 0.003 and Δ_F(9) = 1, 1, 0.5, 0.05 at t = 0, 1, 2, 3
    low, high = np.sin(2 * X), 0.5 * np.sin(9 * X)
    pred = np.stack([(1 - a) * low + (1 - b) * high for a, b in RATES])
    path = tmp_path / "run.npz"
    np.savez(path, predictions=pred, targets=low + high, inputs=X[:, None], times=np.array([0., 1, 2, 3]))
    return path


def test_diagnose_finds_the_order_of_learning(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["diagnose", str(_synthetic(tmp_path)), "--out", str(out),
                                       "--xi-max", "12"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "diagnose.json").read_text())
    peaks = {round(p["xi"][0]): p["learning_time"] for p in summary["peaks"]}
    # the ξ grid (step 0.125) holds 2 and 9, where the DFT on a full period is exact; Δ_F = 0.1
    # is crossed log-linearly between snapshots: t = 1 + ln 3/ln 10 and t = 2 + ln 5/ln 10
    assert sorted(peaks) == [2, 9]
    np.testing.assert_allclose([peaks[2], peaks[9]], [1 + np.log10(3), 2 + np.log10(5)], rtol=1e-9)
    for name in ("delta_f.png", "delta_f.pdf", "filtered.png", "filtered.csv", "delta_f.csv"):
        assert (out / name).stat().st_size > 0
    table = np.loadtxt(out / "delta_f.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(np.sort(table[:, 1:], axis=1), np.sort(RATES, axis=1), atol=1e-12)


def test_diagnose_from_npy_files(tmp_path):
    z = np.load(_synthetic(tmp_path))
    args = ["diagnose", "--out", str(tmp_path / "o")]
    for key in ("predictions", "targets", "inputs"):
        np.save(tmp_path / f"{key}.npy", z[key])
        args += [f"--{key}", str(tmp_path / f"{key}.npy")]
    result = CliRunner().invoke(main, args + ["--delta", "0.1,0.3"])
    assert result.exit_code == 0, result.output
    assert "δ = 0.1" in result.output


def test_diagnose_refuses_bad_input(tmp_path):
    runner = CliRunner()
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "x.npy", X)
    bad = runner.invoke(main, ["diagnose", "--predictions", str(tmp_path / "obj.npy"),
                               "--targets", str(tmp_path / "x.npy"), "--inputs", str(tmp_path / "x.npy")])
    assert bad.exit_code != 0 and "pickle" in bad.output.lower()
    missing = runner.invoke(main, ["diagnose", "--targets", str(tmp_path / "x.npy")])
    assert missing.exit_code != 0 and "missing array(s) ['predictions', 'inputs']" in missing.output
    wide = runner.invoke(main, ["diagnose", str(_synthetic(tmp_path)), "--delta", "100",
                                "--out", str(tmp_path / "w")])
    assert wide.exit_code != 0 and "outside the data's scale" in wide.output
    assert not (tmp_path / "w").exists()
