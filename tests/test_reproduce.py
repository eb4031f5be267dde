"""The registry of named experiments: every entry imports, and a result is reused unless forced."""

import json

import pytest
from click.testing import CliRunner

from ntk_freq import reproduce
from ntk_freq.cli import main


def test_every_entry_point_imports_and_is_callable():
    for experiment in reproduce.REGISTRY.values():
        assert callable(experiment.function()), experiment.name


def test_list_shows_one_line_per_experiment():
    result = CliRunner().invoke(main, ["reproduce", "--list"])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == len(reproduce.REGISTRY)


def test_unknown_name_is_refused():
    with pytest.raises(ValueError, match="experiment must be one of"):
        reproduce.reproduce("no-such-experiment")


def test_existing_result_is_reused_unless_forced(tmp_path, monkeypatch):
    calls = []

    def fake(directory, quick, progress):
        calls.append(quick)
        (directory / "figure.png").write_bytes(b"png")
        return {"value": len(calls)}

    monkeypatch.setitem(reproduce.REGISTRY, "fake", reproduce.NamedExperiment("fake", "test", "x:y"))
    monkeypatch.setattr(reproduce.NamedExperiment, "function", lambda self: fake)
    path = reproduce.reproduce("fake", tmp_path, quick=True, progress=False)
    assert path.name == "fake-quick" and (path / "figure.png").exists()
    assert reproduce.reproduce("fake", tmp_path, quick=True) == path and calls == [True]
    reproduce.reproduce("fake", tmp_path, quick=True, force=True)
    assert json.loads((path / "summary.json").read_text())["summary"] == {"value": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-quick"]
