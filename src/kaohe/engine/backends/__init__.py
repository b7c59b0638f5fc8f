"""Engines that execute a plan: DuckDB (embedded default) and Spark (scale)."""
