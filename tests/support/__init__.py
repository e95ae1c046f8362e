"""Helpers the tests (and benchmarks) share: app clients, live servers, fixtures data."""
