"""kaohe 考核 — assessment of customer-service outlets, their staff and channel partners."""

__version__ = "0.1.0"
