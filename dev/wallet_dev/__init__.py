"""Development helpers shared by `make run`, the tests and the benchmarks: local
PostgreSQL clusters, free ports and API server processes. Not part of the service."""
