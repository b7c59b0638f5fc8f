"""The inspection checklist (明查暗访检查表): the service norms of article 4, one item each.

This is the one list the inspection form offers. Item names and deductions are the ones the demo
generator writes (``kaohe.demo.events.ITEMS``), so that the demo scheme ``hall_service`` scores
a visit entered here exactly like an imported checklist (``first_ask`` counts the item named
``首问负责制`` by name). A visit with nothing ticked is stored as one row ``无问题`` with deduction 0,
so that it still counts as a visit (``count(distinct visit_id)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Item:
    """One norm: ``name`` is stored in the facts' ``item`` column; ``deduction`` points when
    the inspector ticks it (the norm was broken); ``norm`` tells the inspector what to look for."""

    code: str
    name: str
    deduction: Decimal
    norm: Promise


ITEMS: tuple[Item, ...] = (
    Item("stand_greet", "起立迎接", Decimal(2), _("前台无客户时，客户进门应起立迎候")),
    Item("smile", "微笑服务", Decimal(1), _("接待客户始终保持微笑")),
    Item("both_hands", "双手递接", Decimal(1), _("证件、单据、找零双手递接")),
    Item("no_chat", "不闲聊", Decimal(2), _("办理业务时不与其他营业员闲聊、交头接耳")),
    Item("no_phone", "柜台不玩手机", Decimal(3), _("不携带私人手机上岗，不接打私人电话")),
    Item("first_ask", "首问负责制", Decimal(5), _("第一个接待的营业员对客户问题一包到底")),
    Item("see_off", "起立相迎站立相送", Decimal(2), _("站迎站送")),
    Item("announce", "唱收唱付", Decimal(2), _("收款、找零时报出金额")),
    Item("dress", "着装规范", Decimal(1), _("统一着装，佩戴工号牌")),
    Item("clean", "营业环境卫生", Decimal("0.5"), _("营业厅整洁，资料摆放有序")),
    Item("language", "服务用语规范", Decimal(1), _("使用规范服务用语")),
    Item("off_post", "串岗脱岗", Decimal(3), _("不得擅自串岗、脱岗或离岗")),
)
NO_PROBLEM = "无问题"
BY_CODE: dict[str, Item] = {i.code: i for i in ITEMS}
