"""faxtui benchmarks: ``.venv/bin/python bench/run.py [ingest|latency|all]`` (see README.md)."""
