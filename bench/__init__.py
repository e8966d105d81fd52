"""Benchmarks (not timed tests). Run ``python -m bench [ID ...]``; see bench/README.md."""
