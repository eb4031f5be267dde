"""What the fuzz suites share: the hostile numbers they draw, the time limit, and how an outcome
is classified (tests/test_fuzz.py for hand-written entry points, tests/test_fuzz_surface.py for
every public callable).

Outcomes:

- ``refused``: ValueError, TypeError or MemoryError (the package's clear refusals);
- ``ok``: it returned, and every number it returned is finite (or the entry point documents the
  non-finite value);
- ``nonsense``: it returned NaN or infinity;
- ``hang``: it ran past the time limit;
- ``obscure``: any other exception (it names no parameter).
"""

from __future__ import annotations

import dataclasses
import signal
import warnings

import numpy as np

LIMIT_S = 90  # refusals come in under 2 s; a valid small case (first JIT compile, loaded machine) well within this

HOSTILE_NUMBERS = [float("nan"), float("inf"), -float("inf"), 0.0, -1.0, -1e-300, 1e308, 1e-320,
                   1e30, 2**63, 10**30, True, "3", "abc", None, 1 + 2j, [1.0, 2.0]]


def _alarm(signum, frame):
    raise TimeoutError


def classify(call, *, allow_nonfinite=False, limit_s: int = LIMIT_S) -> str:
    """Run ``call()`` under the time limit and name the outcome."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit_s)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = call()
    except TimeoutError:
        return "hang"
    except (ValueError, TypeError, MemoryError):
        return "refused"
    except Exception as error:  # noqa: BLE001 - classified, not swallowed: the test counts it
        return f"obscure: {type(error).__name__}: {str(error)[:120]}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    if not allow_nonfinite and not finite(out):
        return "nonsense"
    return "ok"


def finite(out, depth: int = 0) -> bool:
    """Whether every float in ``out`` is finite: arrays, scalars, and (three levels deep) the
    values of dicts, sequences and dataclass records; other objects count as finite."""
    if out is None or isinstance(out, (str, bytes, bool)) or depth > 3:
        return True
    if dataclasses.is_dataclass(out) and not isinstance(out, type):
        out = {f.name: getattr(out, f.name, None) for f in dataclasses.fields(out)}
    if isinstance(out, dict):
        return all(finite(v, depth + 1) for v in out.values())
    if isinstance(out, (tuple, list)):
        return all(finite(v, depth + 1) for v in out)
    try:
        a = np.asarray(out)
    except Exception:  # noqa: BLE001
        return True
    if a.dtype.kind in "fc":
        return bool(np.all(np.isfinite(a)))
    return True
