"""tracker: a local, searchable library of the Crohn's disease literature."""

__version__ = "0.1.0"
