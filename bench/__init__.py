"""Load benchmark: the real server against a minimal raw websockets baseline (see BENCHMARKS.md)."""
