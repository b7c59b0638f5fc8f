"""``{{ amount|yuan }}``: money as people write it, to the fen with thousands separators and the
sign before the currency: ¥1,652.50, -¥60.00; "—" for no amount."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(value)
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"
