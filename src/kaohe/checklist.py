"""The inspection checklist (明查暗访检查表): the service norms of article 4 plus the usual dress
and environment lines, one item each, with the points an inspection deducts when it finds the
norm broken (../shared/DOMAIN.md). The demo generator writes these items and the web's
inspection form offers them, so that the demo scheme ``hall_service`` scores a visit entered
in the browser exactly like an imported checklist (``first_ask`` counts ``首问负责制`` by name).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Norm:
    code: str  # stable key (form fields, translations)
    name: str  # what the facts' ``item`` column holds
    deduction: Decimal


NORMS: tuple[Norm, ...] = (
    Norm("stand_greet", "起立迎接", Decimal(2)),
    Norm("smile", "微笑服务", Decimal(1)),
    Norm("both_hands", "双手递接", Decimal(1)),
    Norm("no_chat", "不闲聊", Decimal(2)),
    Norm("no_phone", "柜台不玩手机", Decimal(3)),
    Norm("first_ask", "首问负责制", Decimal(5)),
    Norm("see_off", "起立相迎站立相送", Decimal(2)),
    Norm("announce", "唱收唱付", Decimal(2)),
    Norm("dress", "着装规范", Decimal(1)),
    Norm("clean", "营业环境卫生", Decimal("0.5")),
    Norm("language", "服务用语规范", Decimal(1)),
    Norm("off_post", "串岗脱岗", Decimal(3)),
)
# A visit that finds nothing still leaves one row with deduction 0, so that it counts as a
# visit (``count(distinct visit_id)``).
NO_PROBLEM = "无问题"
