"""Benchmarks: each figure printed beside the reference it is compared with. Not tests."""
