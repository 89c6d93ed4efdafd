"""Benchmarks: each module has ``run(quick: bool) -> dict`` of figures, ratios against a baseline
measured in the same run. Run one with ``python -m bench NAME [--quick] [--json]``."""
