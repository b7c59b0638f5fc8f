"""The inspection form's checklist: kaohe.checklist's norms (the items the demo generator writes,
so that ``hall_service`` scores a visit entered here like an imported one), each with what the
inspector looks for, in the user's language."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kaohe.checklist import NO_PROBLEM, NORMS

__all__ = ["BY_CODE", "ITEMS", "NO_PROBLEM", "Item"]


@dataclass(frozen=True)
class Item:
    """One norm: ``name`` is stored in the facts' ``item`` column; ``deduction`` points when
    the inspector ticks it (the norm was broken); ``norm`` tells the inspector what to look for."""

    code: str
    name: str
    deduction: Decimal
    norm: Promise


_LOOK_FOR: dict[str, Promise] = {
    "stand_greet": _("前台无客户时，客户进门应起立迎候"),
    "smile": _("接待客户始终保持微笑"),
    "both_hands": _("证件、单据、找零双手递接"),
    "no_chat": _("办理业务时不与其他营业员闲聊、交头接耳"),
    "no_phone": _("不携带私人手机上岗，不接打私人电话"),
    "first_ask": _("第一个接待的营业员对客户问题一包到底"),
    "see_off": _("站迎站送"),
    "announce": _("收款、找零时报出金额"),
    "dress": _("统一着装，佩戴工号牌"),
    "clean": _("营业厅整洁，资料摆放有序"),
    "language": _("使用规范服务用语"),
    "off_post": _("不得擅自串岗、脱岗或离岗"),
}

ITEMS: tuple[Item, ...] = tuple(Item(n.code, n.name, n.deduction, _LOOK_FOR[n.code])
                                for n in NORMS)
BY_CODE: dict[str, Item] = {i.code: i for i in ITEMS}
