"""Modules the benchmarks share (not benchmarks themselves)."""
