"""The ``kaohe`` command line (spec §5)."""
