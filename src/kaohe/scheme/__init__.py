"""Assessment schemes (spec §4): frozen, validated definitions."""

from kaohe.scheme.loader import load_scheme, parse_scheme
from kaohe.scheme.model import Indicator, Scheme

__all__ = ["Indicator", "Scheme", "load_scheme", "parse_scheme"]
