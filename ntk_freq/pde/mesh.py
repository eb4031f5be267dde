"""Truncation domains and meshes in frequency space for the frequency PDE (docs/theory.md, (E3)).

The PDE lives on R^d; it is solved on a box [−R, R]^d (d = 1, 2, 3) or, for isotropic ρ_w in
d = 2, a disc of radius R, that holds ρ_w's mass up to a tolerance. Box meshes are tensor
products of 1-D node sets that contain every jump (and kink) of ρ̄_w, so no element straddles a
discontinuity of the coefficients; elements are simplices (intervals, triangles, tetrahedra).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree
from skfem import MeshLine, MeshTet, MeshTri

from ntk_freq._util import validation as v
from ntk_freq.distributions._families import FrequencyDistribution, breakpoints  # noqa: F401 (re-exported)

SHAPES = ("box", "ball")


@dataclass(frozen=True)
class Domain:
    """The truncation Ω of frequency space: ``shape`` "box" ([−R, R]^d) or "ball" (|ξ| ≤ R,
    d = 2 only), ``radius`` R (half-width of the box), ``dim`` d."""

    shape: str
    radius: float
    dim: int

    def __post_init__(self):
        v.choice("shape", self.shape, SHAPES)
        v.positive("radius", self.radius)
        dim = v.positive_int("dim", self.dim)
        if dim > 3:
            raise ValueError(f"the frequency PDE is solved in d = 1, 2 or 3, got d = {dim}")
        if self.shape == "ball" and dim != 2:
            raise ValueError(f"a ball domain is offered in d = 2 only, got d = {dim}; use 'box'")

    @property
    def volume(self) -> float:
        if self.shape == "ball":
            return math.pi * self.radius**2
        return (2 * self.radius) ** self.dim


#: The automatic domain is at most this many times ρ_w's median radius wide: a heavy tail
#: (Cauchy: R ≈ 6e7 γ for tol = 1e-8) would otherwise give a box whose mesh never sees the peak.
MAX_RADIUS_PER_MEDIAN = 1000.0


def norm_of(shape: str) -> str:
    """The norm whose ball is the domain shape: "inf" for a box, "2" for a ball."""
    return "inf" if v.choice("shape", shape, SHAPES) == "box" else "2"


def default_domain(rho: FrequencyDistribution, tol: float = 1e-8, shape: str = "box") -> Domain:
    """The smallest box (ball) that leaves at most ``tol`` of ρ_w's mass outside
    (``rho.support_radius``), but at most ``MAX_RADIUS_PER_MEDIAN`` times ρ_w's median radius
    (then warns with the mass left outside), widened to hold every breakpoint (a compact
    support's edge)."""
    v.instance("rho", rho, FrequencyDistribution, "a FrequencyDistribution (ntk_freq.distributions)")
    norm = norm_of(shape)
    R = rho.support_radius(tol, norm)
    cap = MAX_RADIUS_PER_MEDIAN * rho.support_radius(0.5, norm)
    if R > cap:
        warnings.warn(
            f"ρ_w = {rho!r} has a heavy tail: leaving at most support_tol={tol:g} of its mass "
            f"outside needs R = {R:.3g}, too wide for a mesh to resolve its peak; truncating at "
            f"R = {cap:.4g} ({MAX_RADIUS_PER_MEDIAN:g} × its median radius), which leaves "
            f"{rho.tail(cap, norm):.2g} of the mass outside (those frequencies keep their initial "
            "error). Pass domain=R (with mass_tol >= the mass outside R) to choose otherwise.",
            stacklevel=2,
        )
        R = cap
    edges = [np.max(np.abs(b)) for b in breakpoints(rho) if b.size]
    return Domain(shape, max([R] + edges), rho.dim)


def axis_nodes(radius: float, h: float, breaks=()) -> np.ndarray:
    """Nodes on [−R, R] with spacing at most h that include every break point inside: each gap
    between consecutive breaks (and ±R) is split into equal cells."""
    R = radius
    inner = [b for b in np.unique(np.asarray(breaks, dtype=float)) if -R < b < R]
    knots = np.array([-R] + inner + [R])
    knots = knots[np.concatenate([[True], np.diff(knots) > 1e-12 * R])]
    pieces = [np.linspace(a, b, max(1, math.ceil((b - a) / h - 1e-9)) + 1)[:-1]
              for a, b in zip(knots[:-1], knots[1:])]
    return np.concatenate(pieces + [[R]])


def ball_refinements(radius: float, h: float) -> int:
    """Refinements of scikit-fem's disc mesh (4 · 2^k boundary edges) for edge length ≈ h."""
    return max(1, math.ceil(math.log2(max(1.0, math.pi * radius / (2 * h)))))


def build_mesh(domain: Domain, h: float, breaks=None):
    """The scikit-fem simplex mesh of ``domain`` with element size about ``h``; box meshes hold
    the ``breaks`` (per axis, from :func:`breakpoints`) as nodes."""
    if domain.shape == "ball":
        mesh = MeshTri.init_circle(ball_refinements(domain.radius, h))
        return mesh.scaled(domain.radius)
    breaks = breaks if breaks is not None else [()] * domain.dim
    axes = [axis_nodes(domain.radius, h, b) for b in breaks]
    if domain.dim == 1:
        return MeshLine(axes[0])
    return (MeshTri if domain.dim == 2 else MeshTet).init_tensor(*axes)


#: Vertices per element-count unit and DOFs per vertex of simplex meshes (P1, P2), used to
#: estimate a problem's size before building it.
_DOFS_PER_VERTEX = {(1, 1): 1, (1, 2): 2, (2, 1): 1, (2, 2): 4, (3, 1): 1, (3, 2): 8}


def estimated_dofs(domain: Domain, h: float, order: int, breaks=None) -> int:
    """Degrees of freedom of the mesh :func:`build_mesh` would make (exact vertex count for
    boxes, asymptotic P2 count), without building it."""
    if domain.shape == "ball":
        vertices = 2 * 4**ball_refinements(domain.radius, h)
    else:
        breaks = breaks if breaks is not None else [()] * domain.dim
        vertices = math.prod(axis_nodes(domain.radius, h, b).size for b in breaks)
    return vertices * _DOFS_PER_VERTEX[(domain.dim, order)]


def locate(mesh, mapping, x: np.ndarray, tol: float = 1e-10):
    """The element holding each point and its reference coordinates.

    x: points as columns, shape (d, n). Returns (cells, X): cells (n,) with −1 for points
    outside the mesh, X (d, n) reference coordinates (meaningful where cells ≥ 0). Candidates
    are the k nearest element centroids (k grows until every inside point is found); a point
    is inside an element when all its barycentric coordinates are ≥ −tol."""
    d, n = x.shape
    n_elems = mesh.t.shape[1]
    tree = cKDTree(mesh.p[:, mesh.t].mean(axis=1).T)
    cells = np.full(n, -1)
    X = np.zeros((d, n))
    todo = np.arange(n)
    k = min(8, n_elems)
    while todo.size:
        cand = tree.query(x[:, todo].T, k=k)[1].reshape(todo.size, k)
        pts = np.repeat(x[:, todo], k, axis=1)[:, :, None]
        ref = mapping.invF(pts, tind=cand.ravel())[:, :, 0].reshape(d, todo.size, k)
        bary = np.min(np.concatenate([ref, 1 - ref.sum(axis=0, keepdims=True)]), axis=0)
        best = np.argmax(bary, axis=1)
        rows = np.arange(todo.size)
        found = bary[rows, best] >= -tol
        cells[todo[found]] = cand[rows[found], best[found]]
        X[:, todo[found]] = ref[:, rows[found], best[found]]
        todo = todo[~found]
        if k == n_elems or k >= 128:
            break
        k = min(4 * k, n_elems)
    return cells, X
