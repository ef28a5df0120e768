"""benchbot's version, in one place (read by the build backend too)."""

__version__ = "0.2.0"
