"""The command line: a thin shell over the stages."""

from generator.cli.app import main

__all__ = ["main"]
