"""The figure style, where it can be checked: panels that compare share their axes, decaying
fields use a logarithmic colour scale, every axis is labelled, a caption states the
parameters, and each figure is written as PNG and PDF."""

import numpy as np
import pytest
from matplotlib.colors import LogNorm

from ntk_freq.plotting import _style as plotting

T = np.linspace(0, 10, 6)
XI = np.linspace(0, 8, 30)
KAPPA = np.array([2.0, 7.0])


def _routes(scale):
    u = np.exp(-scale * T[:, None]) * (1 + np.exp(-(XI[None, :] - 2) ** 2)) + 0j
    return {"kernel": u, "pde": u * (1 + 1e-6), "nn": u * 1.05, "kernel_gd": u * (1 + 1e-3)}


def _remaining(scale):
    r = np.exp(-scale * np.outer(T, [1.0, 0.2]))
    return {"kernel": r, "pde": r, "nn": r * 1.02, "kernel_gd": r}


GAPS = {"pde_vs_kernel": np.full(T.size, 1e-6), "nn_vs_kernel": np.full(T.size, 0.05)}


@pytest.fixture
def drawn(monkeypatch):
    figures = []

    def keep(fig, path):
        figures.append(fig)
        return path

    monkeypatch.setattr(plotting, "save_figure", keep)
    return figures


def test_learning_curves_share_rows_draw_rho_and_carry_a_caption(drawn):
    panels = [("gaussian:3", _remaining(0.5), GAPS), ("uniform:10", _remaining(0.2), GAPS)]
    rho_bars = [np.exp(-XI**2 / 18), np.full(XI.size, 0.05)]
    plotting.plot_learning_curves(T, KAPPA, panels, path="x.png", xi=XI, rho_bars=rho_bars, note="m = 8")
    (fig,) = drawn
    axes = np.array(fig.axes).reshape(3, 2)
    for row in axes:
        assert row[0].get_shared_y_axes().joined(row[0], row[1])
    assert axes[0, 0].get_ylabel() == r"$\bar\rho_w(\xi)$"
    assert all(ax.get_xlabel() for ax in axes[-1])
    assert axes[1, 0].get_yscale() == "log" and axes[2, 0].get_yscale() == "log"
    assert "m = 8" in fig.get_supxlabel()
    assert axes[0, 0].get_title() == "Gaussian ρ_w, s = 3"


def test_heatmaps_show_the_reference_and_differences_on_log_colour_scales(drawn):
    rows = [("gaussian:3", _routes(0.5)), ("uniform:10", _routes(0.2))]
    plotting.plot_spectrum_heatmaps(T, XI, rows, path="x.png", note="caption")
    (fig,) = drawn
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    meshes = [c for ax in panels for c in ax.collections]
    assert len(meshes) == 6 and all(isinstance(m.norm, LogNorm) for m in meshes)
    assert all(panels[0].get_shared_x_axes().joined(panels[0], ax) for ax in panels)
    assert all(panels[0].get_shared_y_axes().joined(panels[0], ax) for ax in panels)
    titles = [ax.get_title() for ax in panels]
    assert sum("kernel flow (E1)" in t and "−" not in t for t in titles) == 2  # the reference, once per ρ_w
    assert sum("− kernel flow" in t for t in titles) == 4                    # the differences


def test_save_figure_writes_png_and_pdf_atomically(tmp_path):
    fig, axes = plotting.figure()
    axes[0, 0].plot([0, 1], [0, 1])
    path = plotting.save_figure(fig, tmp_path / "f.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png"]


def test_the_style_does_not_leak_into_the_users_matplotlib(tmp_path):
    import matplotlib

    before = dict(matplotlib.rcParams)
    plotting.plot_width_study([10, 100, 1000], np.array([[1.0, 1.1], [0.3, 0.32], [0.1, 0.1]]),
                              -0.5, prefactor=3.0, path=tmp_path / "w.png")
    assert dict(matplotlib.rcParams) == before
    assert (tmp_path / "w.pdf").exists()


@pytest.mark.parametrize("epsilon,text", [(np.exp(-1), "1/e"), (0.01, "0.01")])
def test_epsilon_is_named_as_a_reader_knows_it(epsilon, text):
    assert plotting.epsilon_label(epsilon) == text
