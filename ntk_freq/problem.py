"""The problem every route reads: ``Problem(rho, network, loss, data, target, schedule, dim)``.

A problem is one question: a frequency distribution ρ_w, a network (an object of
:mod:`ntk_freq.networks`), a loss (:mod:`ntk_freq.losses`), the training data, a target and a
gradient-descent :class:`Schedule`. It is a frozen dataclass: it accepts specs (``"gaussian:3"``,
``"windowed-sines:2,7;width=1.5"``, ``"box:10"``) or objects, keeps them as given (so
:meth:`Problem.record` writes the spec back), and checks everything when it is made, before any
long computation. The parsed objects (``rho_w``, ``target_fn``, the training ``measure``, the flow
``times``, the ξ grid) are computed once, on first use.

The data: with ``data`` None the N = n^d training points are the cell-centred grid of
D = [−L, L]^d (``half_width`` L, ``n_points`` n per axis, data density c = 1/|D|); with a data
density (spec or :class:`ntk_freq.data.DataDensity`) they follow it by ``data_layout``
("quantiles": positions; "weights": the grid of D with loss weights q_i ∝ p(x_i)).

The flat settings of the CLI, TOML configs and sweeps (``sigma_a = 0.5``, ``eta = 0.25``, …)
are the fields of the problem and of its network and schedule (:data:`SETTINGS`, derived
from ``dataclasses.fields``); :meth:`Problem.from_settings` builds a problem from them and
:meth:`Problem.replace` takes them too, so a sweep point is ``problem.replace(**point)``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import warnings

import numpy as np

from ntk_freq._util import validation as v
from ntk_freq.data._density import data_density, training_measure
from ntk_freq.distributions._families import FrequencyDistribution
from ntk_freq.distributions._spec import distribution
from ntk_freq.data._fourier import frequency_grid
from ntk_freq.losses import OperatorLoss, boundary_points, loss as parse_loss
from ntk_freq.networks import NETWORKS, DeepFourierFeatures, FourierFeatures
from ntk_freq.data._targets import WindowedSines, target as parse_target

#: Input dimensions d the routes cover (the PDE's finite elements).
DIMS = (1, 2, 3)
#: Nodes per axis of the common ξ grid by dimension (d = 1: [0, ξ_max]; d ≥ 2: [−ξ_max, ξ_max]^d).
DEFAULT_N_XI = {1: 241, 2: 49, 3: 21}
#: A windowed-sines target is negligible (e^{−12.5} ≈ 4e-6) beyond |x| = 5w and, in ξ, beyond
#: 5/w from its frequencies ±κ_k.
WINDOW_REACH = 5.0
LAYOUTS = ("quantiles", "weights")


# --- the pieces of a problem, checked -----------------------------------------------------------

def check_dim(dim) -> int:
    """The input dimension d of a problem: 1, 2 or 3."""
    dim = v.positive_int("dim", dim)
    if dim not in DIMS:
        raise ValueError(f"dim must be 1, 2 or 3 (the PDE's finite elements), got {dim}")
    return dim


def check_seed(name: str, value) -> int:
    """A PRNG seed: an integer in [0, 2**32)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 2**32:
        raise ValueError(f"{name} must be an integer in [0, 2**32), got {value!r}")
    return int(value)


def snapshot_times(eta: float, steps: int, n_snapshots: int) -> np.ndarray:
    """n_snapshots flow times t = η·k, k evenly spread over 0…steps (integers, so multiples of η)."""
    eta, steps = v.positive("eta", eta), v.positive_int("steps", steps)
    if steps > 2**53:
        raise ValueError(f"steps must be at most 2**53 (exact in float64), got {steps}")
    n = v.positive_int("n_snapshots", n_snapshots)
    return eta * np.unique(np.rint(np.linspace(0, steps, max(n, 2)))).astype(np.int64)


def parse_windowed_target(y, dim: int = 1) -> WindowedSines:
    """A windowed-sines target on R^dim (spec string or object): the comparison needs its
    wave vectors."""
    y = parse_target(y, dim) if isinstance(y, str) else y
    if not isinstance(y, WindowedSines) or y.dim != dim:
        example = "windowed-sines:2,7;width=1.5" if dim == 1 else "windowed-sines:2/0,0/2;width=1.5"
        raise TypeError(
            f"target must be a {dim}-D windowed-sines target (e.g. {example!r}), whose wave "
            f"vectors κ_k the comparison reports, got {y!r}"
        )
    return y


def wave_vectors(y: WindowedSines) -> np.ndarray:
    """The target's κ_k: |κ_k| (n_κ,) in d = 1, the vectors (n_κ, d) in d ≥ 2."""
    kappa = np.asarray(y.frequencies, float)
    return np.abs(kappa[:, 0]) if y.dim == 1 else kappa


def xi_grid(xi_max: float, n_xi: int, dim: int) -> np.ndarray:
    """The common ξ grid of a comparison: [0, ξ_max] (n_xi nodes) in d = 1; the box
    [−ξ_max, ξ_max]^d with n_xi nodes per axis, shape (n_xi, …, n_xi, d), in d ≥ 2."""
    n_xi = v.positive_int("n_xi", n_xi)
    # the grid, and the spectra of 4 routes at a few times on it (complex): refused before either exists
    v.fits_in_memory(f"the ξ grid of {n_xi}^{dim} nodes and the routes' spectra on it",
                     8.0 * float(n_xi) ** dim * (dim + 4 * 2 * 2))
    return np.linspace(0.0, xi_max, n_xi) if dim == 1 else frequency_grid(xi_max, n_xi, dim)


def default_xi_max(y: WindowedSines) -> float:
    """The top of the target's spectrum and of the common ξ grid, per axis: max_k ‖κ_k‖_∞ + 5/w."""
    return float(np.abs(np.asarray(y.frequencies)).max() + WINDOW_REACH / y.width)


def frequency_setup(y_fn: WindowedSines, xi_max, n_xi, dim: int) -> tuple:
    """(κ, ξ_max, ξ grid) of a comparison: the target's wave vectors, ξ_max (None: the
    target's spectrum top, max κ + 5/w) and :func:`xi_grid` with n_xi nodes per axis (None:
    ``DEFAULT_N_XI[d]``)."""
    xi_max = default_xi_max(y_fn) if xi_max is None else v.scale("xi_max", xi_max)
    return wave_vectors(y_fn), xi_max, xi_grid(xi_max, DEFAULT_N_XI[dim] if n_xi is None else n_xi, dim)


def check_data_grid(y: WindowedSines, half_width: float, n_points: int, xi_max: float) -> None:
    """The cell-centred grid of n points per axis on [−L, L]^d (Δx = 2L/n) resolves angular
    frequencies below its Nyquist limit π/Δx in every axis: ValueError when ``xi_max`` or the
    target's spectrum (up to max κ + 5/w in any axis) goes beyond it (aliasing would fold them
    back onto the target's band); a warning when the target's window reaches beyond the data
    domain (|x_i| = 5w > L)."""
    nyquist = math.pi * n_points / (2 * half_width)
    axis = " (in some axis)" if y.dim > 1 else ""
    for what, top in ((f"the target's spectrum max κ + 5/w{axis}", default_xi_max(y)),
                      ("xi_max", xi_max)):
        if top > nyquist:
            raise ValueError(
                f"{what} = {top:.4g} is above the Nyquist limit π/Δx = π·n_points/(2·half_width) "
                f"= {nyquist:.4g} of the data grid (half_width = {half_width:g}, n_points = "
                f"{n_points}), which would alias it; use n_points >= "
                f"{math.ceil(2 * half_width * top / math.pi) + 1} or lower frequencies"
            )
    reach = WINDOW_REACH * y.width
    if reach > half_width:
        warnings.warn(
            f"the target's window (width w = {y.width:g}) reaches |x| = 5w = {reach:g}, beyond the "
            f"data domain [−{half_width:g}, {half_width:g}]: the data cut the target off, which the "
            f"PDE (over all x) does not see; use half_width >= {reach:g} or a narrower window",
            stacklevel=4,
        )


def check_data_cover(y: WindowedSines, p, measure, xi_max: float) -> None:
    """Non-uniform data: ValueError when the target's window (|x_i| ≤ 5w) reaches beyond the
    data density's support in some axis, or when ``xi_max`` or the target's spectrum is above
    the Nyquist limit π/max Δx of the widest gap between the training points' coordinates along
    an axis (aliasing in the sparse region)."""
    reach = WINDOW_REACH * y.width
    for a, b in p.bounds:
        if -reach < a or reach > b:
            raise ValueError(
                f"the data density {p.spec} (support [{a:g}, {b:g}]) does not cover the target, "
                f"whose window reaches |x| = 5w = {reach:g}; use data that cover "
                f"[−{reach:g}, {reach:g}]" + (" in every axis" if p.dim > 1 else ""))
    gap = max((float(np.max(np.diff(np.unique(c)))) if np.unique(c).size > 1 else math.inf)
              for c in measure.coords.T)
    nyquist = math.pi / gap
    for what, top in (("the target's spectrum max κ + 5/w", default_xi_max(y)), ("xi_max", xi_max)):
        if top > nyquist:
            raise ValueError(
                f"{what} = {top:.4g} is above the Nyquist limit π/max Δx = {nyquist:.4g} of the "
                f"widest gap ({gap:.4g}) between the {measure.n} training points of {p.spec}; use "
                "more points or lower frequencies")


def check_operator_loss(problem) -> None:
    """An operator loss (:mod:`ntk_freq.losses`) fits the problem: its operators exist in d, the
    network has operator-applied kernels (``operator_ntk``: the FF networks), ρ_w has the
    moments they need, the data are the grid of D (the boundary term's domain), and the dense
    residual kernel fits in memory."""
    from ntk_freq.kernels._operator_kernels import check_moments

    loss, dim = problem.loss, problem.dim
    operators = loss.operators(dim)
    if not hasattr(problem.network, "operator_ntk"):
        raise ValueError(f"loss {loss.spec!r}: operator losses need the network's operator-applied "
                         f"NTK, which FourierFeatures and DeepFourierFeatures have; "
                         f"{type(problem.network).__name__} has none")
    check_moments(problem.rho_w, max(L.order for L in operators))
    if problem.data is not None:
        raise ValueError(f"loss {loss.spec!r}: operator losses train on the grid of D (data=None), "
                         f"got data = {problem.data!r}")
    n = problem.n_points**dim
    rows = len(operators) * n + (2 * dim * problem.n_points ** (dim - 1) if loss.boundary else 0)
    v.fits_in_memory(f"the residual kernel of loss {loss.spec!r} ({rows} × {rows}, dense)",
                     8.0 * 4 * rows**2)


# --- records --------------------------------------------------------------------------------------

def check_apart(x_test: np.ndarray, x_train: np.ndarray, rtol: float = 1e-9) -> None:
    """Refuse test points that coincide with training points (within ``rtol`` of the data's
    extent): their error is a training error, not a test error."""
    scale = max(float(np.ptp(np.concatenate([x_test, x_train]), axis=0).max()), 1.0)
    from scipy.spatial import cKDTree

    distance, _ = cKDTree(x_train).query(x_test, k=1)
    overlap = int(np.sum(distance <= rtol * scale))
    if overlap:
        raise ValueError(f"{overlap} of the {len(x_test)} test points coincide with training points; "
                         "test points must lie apart from the training set")


def rho_record(rho) -> str | dict:
    """ρ_w as a run's spec records it: a spec string as written; a distribution object as its
    class, repr and the SHA-256 of its fields, arrays included (a repr omits a Tabulated ρ_w's
    values and an Empirical one's samples), so the spec identifies it."""
    if isinstance(rho, str):
        return rho.strip()
    digest = hashlib.sha256()
    _hash_into(digest, rho)
    return {"class": type(rho).__name__, "repr": repr(rho), "sha256": digest.hexdigest()}


def _hash_into(digest, obj) -> None:
    """Feed ``obj`` to ``digest``: dataclass fields by name, arrays by dtype, shape and bytes,
    sequences item by item, anything else by its repr."""
    if dataclasses.is_dataclass(obj):
        digest.update(type(obj).__name__.encode())
        for f in dataclasses.fields(obj):
            digest.update(f.name.encode())
            _hash_into(digest, getattr(obj, f.name))
    elif isinstance(obj, np.ndarray):
        digest.update(f"{obj.dtype.str}{obj.shape}".encode())
        digest.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, (tuple, list)):
        digest.update(f"sequence of {len(obj)}".encode())
        for item in obj:
            _hash_into(digest, item)
    else:
        digest.update(repr(obj).encode())


def target_record(y: WindowedSines) -> dict:
    """A windowed-sines target as JSON: frequencies, width, amplitudes, phases."""
    return {"frequencies": [list(k) for k in y.frequencies], "width": y.width,
            "amplitudes": list(y.amplitudes), "phases": list(y.phases)}


# --- the schedule and the problem -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Schedule:
    """Full-batch gradient descent with step η for ``steps`` steps, compared at ``n_snapshots``
    flow times t = η · step spread evenly over 0…steps (:func:`snapshot_times`).

    Args:
        eta: the step η (> 0); gradient descent on the mean loss (1/2N) Σ (f − y)² matches the
            gradient flow at t = η · step.
        steps: the number of steps.
        n_snapshots: how many times are compared (≥ 2 are used).
        optimizer: None (plain gradient descent, which the PDE and the kernel flow describe)
            or an optax transformation (exploration only: no PDE counterpart).

    Examples:
        >>> from ntk_freq import Schedule
        >>> Schedule(eta=0.5, steps=4, n_snapshots=3).times.tolist()
        [0.0, 1.0, 2.0]
    """

    eta: float = 0.25
    steps: int = 600
    n_snapshots: int = 25
    optimizer: object = None

    def __post_init__(self):
        snapshot_times(self.eta, self.steps, self.n_snapshots)  # checks all three
        object.__setattr__(self, "eta", float(self.eta))
        object.__setattr__(self, "steps", int(self.steps))
        object.__setattr__(self, "n_snapshots", int(self.n_snapshots))

    @property
    def times(self) -> np.ndarray:
        """The flow times t = η · k compared, k evenly spread over 0…steps."""
        return snapshot_times(self.eta, self.steps, self.n_snapshots)

    def record(self) -> dict:
        """The schedule as JSON (the optimizer by its repr)."""
        return {"eta": self.eta, "steps": self.steps, "n_snapshots": self.n_snapshots,
                "optimizer": None if self.optimizer is None else repr(self.optimizer)}


@dataclasses.dataclass(frozen=True)
class Problem:
    """One question every route answers: ρ_w, network, loss, data, target and schedule.

    Args:
        rho: ρ_w on R^d, a spec ("gaussian:3", "uniform:10", "gaussian:3/1" in d = 2, …) or a
            :class:`ntk_freq.distributions.FrequencyDistribution`.
        network: a network object, :class:`ntk_freq.FourierFeatures` (default σ_a = 0.5,
            m = 4096), :class:`ntk_freq.DeepFourierFeatures` or :class:`ntk_freq.networks.MLP`
            (no frequency PDE; ρ_w is still required, though it plays no part in its kernel).
        loss: a loss object or spec (default the mean-squared loss, "mse").
        data: None (the cell-centred grid of D = [−L, L]^d) or a data density (spec such as
            "pieces:-10,0,10/0.8,0.2", "box:10*gaussian:3", or a
            :class:`ntk_freq.data.DataDensity`) that the points follow by ``data_layout``.
        target: a windowed-sines target, spec ("windowed-sines:2,7;width=1.5"; wave vectors
            written 2/0 in d = 2) or object.
        schedule: a :class:`Schedule` (η, steps, snapshots).
        dim: the input dimension d ∈ {1, 2, 3}.
        half_width: L, the data domain D = [−L, L]^d.
        n_points: n training points per axis (N = n^d).
        data_layout: "quantiles" or "weights" (module docstring).
        xi_max: top of the common ξ grid (None: max κ + 5/w); n_xi: its nodes per axis (None:
            ``DEFAULT_N_XI[d]``).
        test: test points apart from the training points, for the test error of the kernel flow
            and the trained network (``compare``): None (no test error), an integer M (the Gauss
            quadrature of the data density with M nodes per axis, weighted by it) or points
            (M, d) (equal weights). Points that coincide with a training point are refused.

    Raises:
        ValueError, TypeError: on any bad value, naming it, when the problem is made.

    Examples:
        >>> import ntk_freq as nf
        >>> p = nf.Problem(rho="gaussian:3", target="windowed-sines:2,7;width=1.5")
        >>> p.network.sigma_a, p.schedule.eta, p.measure.n
        (0.5, 0.25, 160)
        >>> p.replace(rho="uniform:10", sigma_a=1.0).network.sigma_a
        1.0

    References:
        docs/problem.md (the problem and its routes); docs/theory.md (conventions).
    """

    rho: object = "gaussian:3"
    network: object = dataclasses.field(default_factory=FourierFeatures)
    loss: object = dataclasses.field(default_factory=lambda: parse_loss("mse"))
    data: object = None
    target: object = "windowed-sines:2,7;width=1.5"
    schedule: Schedule = dataclasses.field(default_factory=Schedule)
    dim: int = 1
    half_width: float = 10.0
    n_points: int = 160
    data_layout: str = "quantiles"
    xi_max: float | None = None
    n_xi: int | None = None
    test: object = None

    def __post_init__(self):
        dim = check_dim(self.dim)
        object.__setattr__(self, "dim", dim)
        if isinstance(self.rho, str):
            object.__setattr__(self, "rho", self.rho.strip())
        elif not isinstance(self.rho, FrequencyDistribution):
            raise TypeError(f"rho must be a spec such as 'gaussian:3' or a frequency distribution "
                            f"(ntk_freq.distribution), got {self.rho!r}")
        if not isinstance(self.network, tuple(NETWORKS.values())):
            raise TypeError(f"network must be one of {[c.__name__ for c in NETWORKS.values()]} "
                            f"(ntk_freq.networks), got {self.network!r}")
        if dim not in self.network.dims:
            raise ValueError(f"{type(self.network).__name__} covers d in {list(self.network.dims)}, "
                             f"got dim = {dim}")
        object.__setattr__(self, "loss", parse_loss(self.loss))
        if not isinstance(self.schedule, Schedule):
            raise TypeError(f"schedule must be a ntk_freq.Schedule, got {self.schedule!r}")
        object.__setattr__(self, "half_width", v.scale("half_width", self.half_width))
        object.__setattr__(self, "n_points", v.positive_int("n_points", self.n_points))
        v.choice("data_layout", self.data_layout, LAYOUTS)
        if self.data is not None and not isinstance(self.network, FourierFeatures):
            raise ValueError(f"data densities are supported for FourierFeatures networks; "
                             f"{type(self.network).__name__} trains on the grid of D (data=None)")
        if self.rho_w.dim != dim:
            raise ValueError(f"rho = {self.rho!r} is a distribution on R^{self.rho_w.dim}, the "
                             f"problem's dim is {dim}")
        self.xi  # the target and the ξ grid, each checked
        v.fits_in_memory(
            f"the errors of the routes on N = {self.n_points}^{dim} training points (4 routes × "
            f"{self.times.size} times × N, float64)", 8.0 * 4 * self.times.size * self.n_points**dim)
        if isinstance(self.loss, OperatorLoss):
            check_operator_loss(self)
        if self.data is None:  # the grid is built on first use (``measure``)
            check_data_grid(self.target_fn, self.half_width, self.n_points, self.xi_top)
        else:
            check_data_cover(self.target_fn, data_density(self.data, dim), self.measure, self.xi_top)
        if self.test is not None:
            if not isinstance(self.test, (int, np.integer)) or isinstance(self.test, bool):
                points = v.point_list("test", self.test, dim)  # kept as a tuple: hashable, comparable
                object.__setattr__(self, "test", tuple(map(tuple, points.tolist())))
            self.test_points  # built and checked against the training points now

    # --- parsed once, on first use ---

    @functools.cached_property
    def rho_w(self) -> FrequencyDistribution:
        """ρ_w as a distribution object on R^d."""
        return distribution(self.rho, self.dim)

    @property
    def rho_name(self) -> str:
        """ρ_w's name: the spec as written, or the repr of a distribution object."""
        return self.rho if isinstance(self.rho, str) else repr(self.rho)

    @functools.cached_property
    def target_fn(self) -> WindowedSines:
        """The target as a :class:`ntk_freq.data.WindowedSines` on R^d."""
        return parse_windowed_target(self.target, self.dim)

    @functools.cached_property
    def _frequencies(self) -> tuple:
        return frequency_setup(self.target_fn, self.xi_max, self.n_xi, self.dim)

    @property
    def kappa(self) -> np.ndarray:
        """The target's wave vectors κ_k (|κ_k| in d = 1)."""
        return self._frequencies[0]

    @property
    def xi_top(self) -> float:
        """ξ_max of the common ξ grid (``xi_max`` or the target's spectrum top)."""
        return self._frequencies[1]

    @property
    def xi(self) -> np.ndarray:
        """The common ξ grid ((K,) on [0, ξ_max] in d = 1; (n, …, n, d) in d ≥ 2)."""
        return self._frequencies[2]

    @functools.cached_property
    def measure(self):
        """The training points and their weights (:func:`ntk_freq.data.training_measure`)."""
        return training_measure(self.data, self.half_width, self.n_points, layout=self.data_layout, dim=self.dim)

    @property
    def weights(self):
        """Loss weights q_i of the training points (None: the mean loss)."""
        return None if self.data is None or self.data_layout == "quantiles" else self.measure.weights

    @functools.cached_property
    def test_points(self) -> tuple | None:
        """(x, w): the test points (M, d) and their weights (summing to 1), or None
        (``test``; the density is ``data``, or uniform on [−L, L]^d)."""
        if self.test is None:
            return None
        if isinstance(self.test, tuple):
            x = np.array(self.test, dtype=np.float64)
            w = np.full(len(x), 1.0 / len(x))
        else:
            per_axis = v.positive_int("test", self.test)
            v.fits_in_memory(f"{per_axis}^{self.dim} test points", 8.0 * (self.dim + 1) * per_axis**self.dim)
            p = data_density(self.data if self.data is not None else f"box:{self.half_width:.17g}", self.dim)
            x, w = p.quadrature(per_axis**self.dim)
            x = x.reshape(len(w), self.dim)
            w = w / w.sum()
        check_apart(x, self.measure.coords)
        return x, w

    @property
    def times(self) -> np.ndarray:
        """The schedule's flow times t = η · step."""
        return self.schedule.times

    @property
    def boundary_points(self) -> np.ndarray | None:
        """The points of an operator loss's boundary term on ∂D (:func:`ntk_freq.losses.boundary_points`),
        or None when the loss has none."""
        if not getattr(self.loss, "boundary", 0.0):
            return None
        return boundary_points(self.half_width, self.n_points, self.dim)

    # --- records and changes ---

    def record(self) -> dict:
        """The problem as JSON: every field, specs as written, objects by their records (a
        distribution object by class, repr and SHA-256 of its fields)."""
        data = self.data if self.data is None or isinstance(self.data, str) else \
            data_density(self.data, self.dim).spec
        target = self.target.strip() if isinstance(self.target, str) else target_record(self.target_fn)
        return {"rho": rho_record(self.rho), "network": self.network.record(),
                "loss": self.loss.record(), "data": data, "target": target,
                "schedule": self.schedule.record(), "dim": self.dim,
                "half_width": self.half_width, "n_points": self.n_points,
                "data_layout": self.data_layout, "xi_max": self.xi_max, "n_xi": self.n_xi,
                "test": self.test if self.test is None or isinstance(self.test, (int, np.integer))
                else {"points": len(self.test),
                      "sha256": hashlib.sha256(np.array(self.test, dtype=np.float64).tobytes()).hexdigest()}}

    def replace(self, **changes) -> "Problem":
        """A copy with ``changes``: fields of the problem, or of its network or schedule by
        their flat names (``problem.replace(sigma_a=1.0, eta=0.5)``), or ``network`` by its
        CLI name ("deep-fourier-features"). Checked like a new problem."""
        return dataclasses.replace(self, **_nest(changes, self.network, self.schedule))

    @classmethod
    def from_settings(cls, **settings) -> "Problem":
        """A problem from flat settings (:data:`SETTINGS`); absent ones take their defaults."""
        network = NETWORKS[_network_name(settings)]()
        return cls(**_nest(settings, network, Schedule()))


def _network_name(settings: dict) -> str:
    """The network class a flat settings dict asks for: its "network" entry, else
    "deep-fourier-features" when it names a field only the deep network has."""
    name = settings.get("network")
    if name is None or isinstance(name, str):
        deep_only = set(_field_names(DeepFourierFeatures)) - set(_field_names(FourierFeatures))
        name = name or ("deep-fourier-features" if deep_only & set(settings) else "fourier-features")
        return v.choice("network", name, tuple(NETWORKS))
    return next(k for k, c in NETWORKS.items() if isinstance(name, c))


def _field_names(cls) -> tuple:
    return tuple(f.name for f in dataclasses.fields(cls))


def _nest(settings: dict, network, schedule) -> dict:
    """Flat settings → the keyword arguments of :class:`Problem` (network and schedule fields
    folded into new objects). ValueError naming an unknown setting."""
    settings = dict(settings)
    name = settings.pop("network", None)
    if name is not None and not isinstance(name, str):
        network = name
    elif name is not None and not isinstance(network, NETWORKS[v.choice("network", name, tuple(NETWORKS))]):
        network = NETWORKS[name]()
    net = {k: settings.pop(k) for k in _field_names(type(network)) if k in settings}
    sched = {k: settings.pop(k) for k in _field_names(Schedule) if k in settings}
    unknown = sorted(set(settings) - set(_field_names(Problem)))
    if unknown:
        other = [k for k in unknown if k in SETTINGS]
        hint = (f" ({other} belong to another network than {type(network).__name__})" if other else "")
        raise ValueError(f"unknown setting(s) {unknown}{hint}; allowed: {sorted(SETTINGS)}")
    out = dict(settings)
    if net or name is not None:
        out["network"] = dataclasses.replace(network, **net)
    if sched:
        out["schedule"] = dataclasses.replace(schedule, **sched)
    return out


def _settings_schema() -> dict:
    """Flat setting → (owner class, field) for every field of Problem (but its network and
    schedule objects), of Schedule and of each network class."""
    schema = {f.name: (Problem, f) for f in dataclasses.fields(Problem)
              if f.name not in ("network", "schedule")}
    for owner in (Schedule, *NETWORKS.values()):
        for f in dataclasses.fields(owner):
            schema.setdefault(f.name, (owner, f))
    return schema


#: The flat settings of the CLI, TOML configs and sweeps: setting → (owner class, dataclass
#: field), derived from the fields of :class:`Problem`, :class:`Schedule` and the networks.
SETTINGS = _settings_schema()


def default_of(name: str):
    """The default value of the flat setting ``name``."""
    f = SETTINGS[name][1]
    return f.default_factory() if f.default is dataclasses.MISSING else f.default
