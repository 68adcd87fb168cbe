"""Reproductions of the published experiments (SPEC.md §6), one module per figure."""
