"""``python -m ntk_freq ...``: the ``ntk-freq`` command (click names it ``python -m ntk_freq``
in usage lines)."""

from ntk_freq.cli import main

if __name__ == "__main__":
    main()
