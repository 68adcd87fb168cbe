"""platform_abm: agent-based simulation of strategic users on learning platforms."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("platform_abm")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
