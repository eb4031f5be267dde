"""The ``ntk-freq`` command (click). Each subcommand parses and validates its options, calls the
library, prints a short table and says where its figures and results are."""

from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ntk-freq")
def main():
    """ntk-freq: how neural networks learn each frequency in the NTK regime."""
