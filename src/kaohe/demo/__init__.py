"""The demo: a realistic telecom branch office with three months of facts (``kaohe demo``)."""

from kaohe.demo.runner import run_demo

__all__ = ["run_demo"]
