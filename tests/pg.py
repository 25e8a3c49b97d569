"""The throwaway PostgreSQL cluster of tests and benchmarks (:mod:`workbench.local_postgres`)."""

from workbench.local_postgres import PostgresCluster, find_bindir, missing_reason

__all__ = ["PostgresCluster", "find_bindir", "missing_reason"]
