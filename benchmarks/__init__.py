"""Reproducible benchmarks of the matching core (run with ``python -m benchmarks``).

Shaped like scikit-learn's asv suite: each benchmark class has a parameter grid, a
``setup`` that builds inputs once, ``time_*`` / ``peakmem_*`` / ``track_*`` measurements,
and a check that results match a reference. ``SKILLPASS_BENCH_FAST=1`` selects the
small grid. Speed is reported as a ratio to a peer measured in the same run.
"""
