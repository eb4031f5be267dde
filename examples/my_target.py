"""A target for ntk-freq: a file that defines target(x) for points x of shape (N, d).

Use it as `--target file:examples/my_target.py` or target="file:examples/my_target.py".
ntk-freq imports this file as a module, so its top-level code runs: only use files you trust.
"""

import numpy as np


def target(x):
    """A chirp-like bump: low frequency at the centre, higher towards the edges (1-D)."""
    r = x[:, 0]
    return np.exp(-r**2 / 8.0) * np.sin(2.0 * r + 0.15 * r**2)
