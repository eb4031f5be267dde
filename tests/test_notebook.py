"""The notebooks are stored with their outputs, up to date with notebooks/build.py (their single
source), and run top to bottom without an error."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

HERE = Path(__file__).resolve().parents[1] / "notebooks"
spec = importlib.util.spec_from_file_location("notebook_build", HERE / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def test_stored_notebooks_are_executed_and_up_to_date():
    assert build.stale() == []


@pytest.mark.parametrize("name", sorted(build.NOTEBOOKS))
def test_stored_outputs_hold_no_error_or_warning(name):
    nb = nbformat.read(HERE / name, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "Warning" not in text and "<matplotlib." not in text


@pytest.mark.parametrize("name", sorted(build.NOTEBOOKS))
def test_notebook_runs_top_to_bottom(name):
    nb = build.execute(build.make(build.NOTEBOOKS[name]), timeout=300)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
