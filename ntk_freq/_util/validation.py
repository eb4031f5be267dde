"""Input checks shared by every module: each raises before any long computation and names the
parameter, the value it got and what is allowed (README, "Bad input, long runs and files")."""

from __future__ import annotations

import os
from typing import Literal

import numpy as np

#: Which parameters of a Fourier-feature network train: all ("full"), the readout only
#: ("readout": W frozen, the random-features regime) or the frequencies W only ("frequency").
Part = Literal["full", "readout", "frequency"]
PARTS: tuple[str, ...] = ("full", "readout", "frequency")


def real(name: str, value, allowed: str = "a real number") -> float:
    """A real scalar as float: numbers, numpy and JAX scalars or 0-d arrays. Strings, booleans,
    complex numbers and None are refused (TypeError naming the parameter), not converted."""
    bad = (str, bytes, bool, np.bool_, complex, np.complexfloating)
    if value is None or isinstance(value, bad) or np.iscomplexobj(value) or np.ndim(value) != 0:
        raise TypeError(f"{name} must be {allowed}, got {value!r} ({type(value).__name__})")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {allowed}, got {value!r} ({type(value).__name__})") from None


def positive(name: str, value: float) -> float:
    """A finite scalar > 0."""
    v = real(name, value, "a positive number")
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def nonnegative(name: str, value: float) -> float:
    """A finite scalar >= 0."""
    v = real(name, value, "a non-negative number")
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


#: Scales of distributions and data beyond which float64 cannot hold the products they need
#: (squares of frequencies times squares of positions, densities of the inverse scale).
SCALE_RANGE = (1e-100, 1e100)


def std(name: str, value: float, allow_zero: bool = True) -> float:
    """A standard deviation of weights: >= 0 (> 0 unless ``allow_zero``) and at most
    SCALE_RANGE[1], beyond which its square overflows. Tiny values are harmless (their square
    underflows to the zero that they are close to) and accepted."""
    v = nonnegative(name, value) if allow_zero else positive(name, value)
    if v > SCALE_RANGE[1]:
        raise ValueError(f"{name} = {value!r} is above {SCALE_RANGE[1]:g}: its square overflows float64")
    return v


def scale(name: str, value: float) -> float:
    """A positive scale within :data:`SCALE_RANGE`."""
    v = positive(name, value)
    lo, hi = SCALE_RANGE
    if not lo <= v <= hi:
        raise ValueError(f"{name} = {value!r} is outside [{lo:g}, {hi:g}]: float64 cannot represent "
                         "the densities and products it implies; rescale the problem")
    return v


def integer(name: str, value: int, low: int) -> int:
    """An integer >= ``low`` (bools and non-integral numbers refused, never truncated)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {low}, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def positive_int(name: str, value: int) -> int:
    """An integer >= 1."""
    return integer(name, value, 1)


def nonnegative_int(name: str, value: int) -> int:
    """An integer >= 0."""
    return integer(name, value, 0)


#: Elementary operations a call may plan before it is refused as too long to wait for: about
#: ten minutes of numpy work on the reference 2-core machine. (Training has its own budget,
#: :data:`ntk_freq.training._train.MAX_TRAINING_OPERATIONS`.)
MAX_OPERATIONS = 5e10
#: The environment variable that raises every memory and time limit by a factor (default 1):
#: ``NTK_FREQ_LIMITS=4`` allows 4× the operations and 4× the memory share (at most 95 % of the
#: available memory).
LIMITS_VARIABLE = "NTK_FREQ_LIMITS"
RAISE_HINT = f"or raise ntk-freq's limits by a factor, e.g. {LIMITS_VARIABLE}=4"


def limit_factor() -> float:
    """The factor of :data:`LIMITS_VARIABLE` (1 when unset; ValueError when not a number ≥ 1)."""
    text = os.environ.get(LIMITS_VARIABLE, "").strip()
    if not text:
        return 1.0
    try:
        factor = float(text)
    except ValueError:
        raise ValueError(f"{LIMITS_VARIABLE}={text!r} must be a number >= 1") from None
    if not np.isfinite(factor) or factor < 1:
        raise ValueError(f"{LIMITS_VARIABLE}={text!r} must be a number >= 1")
    return factor


def affordable(what: str, operations: float, hint: str, budget: float = MAX_OPERATIONS,
               duration: str = "about ten minutes") -> None:
    """Refuse, before starting, work of about ``operations`` elementary steps beyond ``budget``
    (``duration`` of work on the reference 2-core machine; times :func:`limit_factor`), with the
    estimate, ``hint`` (what to reduce) and how to raise the limit."""
    factor = limit_factor()
    if operations > budget * factor:
        raise MemoryError(
            f"{what} would take about {operations:.2g} operations, above ntk-freq's budget of "
            f"{budget * factor:.0e} per call ({duration} on a 2-core laptop"
            f"{'' if factor == 1 else f', × {factor:g}'}); {hint}, {RAISE_HINT}"
        )


def instance(name: str, value, kind, allowed: str):
    """``value`` if it is an instance of ``kind`` (a class or a tuple of classes), else a
    TypeError naming the parameter, the value and what is ``allowed``: before an attribute
    lookup on it fails deep inside (a NaN passed as ``rho`` or ``problem``)."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be {allowed}, got {value!r:.80} ({type(value).__name__})")
    return value


def choice(name: str, value: str, allowed) -> str:
    """One of a fixed set of strings."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return value


def finite_array(name: str, value, dtype=np.float64) -> np.ndarray:
    """A float64 array with no NaN or infinity. Strings, booleans, objects, ragged lists and
    complex values are refused (TypeError), never converted: '3' is not a number here, and a
    complex array would lose its imaginary part."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be numbers, got the string {value!r}")
    try:
        raw = np.asarray(value)
    except ValueError:
        raise TypeError(f"{name} must be a rectangular array of numbers (got a ragged sequence)") from None
    if np.iscomplexobj(raw):
        raise TypeError(f"{name} must be real; got complex values (the imaginary part would be lost)")
    if raw.size and raw.dtype.kind in "USOb":
        raise TypeError(f"{name} must be real numbers, got an array of {raw.dtype} ({value!r:.80})")
    a = raw.astype(dtype)
    if not np.all(np.isfinite(a)):
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all entries must be finite")
    return a


def bounded(name: str, a: np.ndarray) -> np.ndarray:
    """Coordinates within ±SCALE_RANGE[1]: beyond, their products (x·x', w·x, |x|²) overflow."""
    if a.size and np.max(np.abs(a)) > SCALE_RANGE[1]:
        raise ValueError(f"{name} has coordinates up to {np.max(np.abs(a)):.3g}, beyond "
                         f"{SCALE_RANGE[1]:g}: float64 cannot hold their products; rescale")
    return a


def points(name: str, x, dim: int) -> np.ndarray:
    """Points of shape (..., d) as float64.

    In d = 1 a scalar or an array of shape (n,) (n = 1 included) is read as scalar coordinates
    and gets a trailing axis, as is any array whose last axis is not of length 1; an array of
    shape (..., 1) with two or more axes is already points. Raises if the trailing axis does not
    match ``dim`` (the dimension of ρ_w or of the data)."""
    a = bounded(name, finite_array(name, x))
    if dim == 1 and (a.ndim <= 1 or a.shape[-1] != 1):
        a = a[..., None]
    if a.ndim == 0 or a.shape[-1] != dim:
        raise ValueError(
            f"{name} has shape {np.shape(x)}, whose last axis is not d = {dim} (the dimension "
            f"of the frequency distribution / data); pass an array of shape (..., {dim})"
        )
    return a


def available_memory_bytes() -> int:
    """Memory available to this process now (Linux /proc/meminfo; physical memory otherwise)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def fits_in_memory(what: str, nbytes: float, fraction: float = 0.5) -> None:
    """Refuse a computation whose working set exceeds ``fraction`` of the available memory
    (times :func:`limit_factor`, at most 95 %), with the estimate and how to raise the limit."""
    avail = available_memory_bytes()
    share = min(fraction * limit_factor(), 0.95)
    if nbytes > share * avail:
        raise MemoryError(
            f"{what} needs about {nbytes / 2**30:.2f} GiB, more than {share:.0%} of the "
            f"{avail / 2**30:.2f} GiB available; use fewer points or compute it in blocks, "
            f"{RAISE_HINT}"
        )


def increasing_times(name: str, times) -> np.ndarray:
    """A non-empty 1-D array of finite times t >= 0 in strictly increasing order."""
    t = np.atleast_1d(finite_array(name, times))
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list of times, got shape {np.shape(times)}")
    if np.any(t < 0):
        raise ValueError(f"{name} must be >= 0 (flow time t = η·step), got min {t.min():g}")
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"{name} must be strictly increasing, got {t.tolist()[:8]}…")
    return t


def point_list(name: str, x, dim: int) -> np.ndarray:
    """A list of n points, shape (n, d), as float64; shape (n,) is accepted in d = 1."""
    a = bounded(name, finite_array(name, x))
    if a.ndim == 1 and dim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] != dim:
        raise ValueError(
            f"{name} has shape {np.shape(x)}; expected a list of points of shape (n, {dim}) "
            f"(d = {dim} is the dimension of the frequency distribution / data)"
        )
    return a


def parse_number(text: str, what: str, hint: str = "") -> float:
    """A float from a spec string; ValueError naming ``what`` (and a ``hint``) otherwise."""
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number; {hint}") from None
