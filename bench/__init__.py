"""Benchmarks and measurements; run with `make bench` and `make eval`."""
