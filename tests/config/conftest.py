"""Fixtures for the config tests (helpers live in config_samples)."""

from config_samples import files

__all__ = ["files"]
