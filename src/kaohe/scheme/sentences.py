"""Every scoring rule as a sentence a clerk can read (issue 13): "目标 1430 笔得满分 25 分，按比例
计分", "满分 10 分，每次扣 0.5 分，最多扣 10 分" — and the same in English for the English UI.

The sentences say what the engine computes (spec §4, §7, §9, §10, §16); they never compute a
point themselves. Thresholds are shown in the indicator's ``format`` (0.9 as 90% for a rate),
points as "25 分". ``rule_sentence`` covers one indicator (every rule and role, its window and
its missing policy); ``scheme_sentences`` the scheme-level rules (grades and quotas, caps,
demotion, elimination, alerts, payout).
"""

from __future__ import annotations

from kaohe.scheme.formats import Format, format_value, number_text, unit_word
from kaohe.scheme.model import (
    Deduct, Indicator, Linear, Percentile, PerItem, Scheme, Steps, VsMean,
)

PERIOD_ZH = {"day": "天", "month": "个月", "quarter": "个季度", "year": "年"}
PERIOD_EN = {"day": "day", "month": "month", "quarter": "quarter", "year": "year"}
SCORE = Format("score")


def _pts(x: float, lang: str) -> str:
    """Points: '25 分' / '25 points' (up to 2 decimals, trailing zeros dropped)."""
    n = number_text(x, SCORE)
    if lang == "zh":
        return f"{n} 分"
    return f"{n} point" if n == "1" else f"{n} points"


def _q(x: float, fmt: Format | None, lang: str) -> str:
    """A threshold in the indicator's own format, trailing zeros dropped (0.9 → 90%,
    1430 → 1430 笔)."""
    if fmt is not None and fmt.kind != "yuan":
        fmt = Format(fmt.kind, None, fmt.unit)
    return format_value(x, fmt, lang)


ATTR_ZH = {"parent": "上级单位", "kind": "单位类型", "unit": "营业厅", "position": "岗位"}


def attr_text(attr: str, lang: str = "zh") -> str:
    """A peer or ``within`` attribute as people say it: ancestor:县公司 → 县公司."""
    if attr.startswith("ancestor:"):
        return attr.split(":", 1)[1]
    return ATTR_ZH.get(attr, attr) if lang == "zh" else attr


def _cat(a: str, b: str) -> str:
    """Join a number text and Chinese text with a space where a number or sign ends ``a``
    ('90%' + '得满分' → '90% 得满分'; '1430 笔' + '得满分' → '1430 笔得满分')."""
    return f"{a} {b}" if a and a[-1].isascii() else a + b


def _each(fmt: Format | None, lang: str) -> str:
    """'每次' / 'for each one', or per unit of a count ('每件'), or per point ('每 1 分')."""
    if fmt is not None and fmt.kind == "score":
        return "每 1 分" if lang == "zh" else "for each point"
    unit = unit_word(fmt, lang)
    if lang == "zh":
        if not unit:
            return "每次"
        return f"每{unit}" if len(unit) == 1 else f"每 1 {unit}"
    return f"for each {unit}" if unit else "for each one"


def _linear(r: Linear, w: float, fmt: Format | None, lang: str) -> str:
    t, f = _q(r.target, fmt, lang), _q(r.floor, fmt, lang)
    most = _pts(w * r.cap, lang)
    if r.floor < r.target:  # higher is better
        if lang == "zh":
            head = (_cat(f"目标 {t}", f"得满分 {_pts(w, lang)}，按比例计分") if r.floor == 0 else
                    _cat(f, "及以下得 0 分，") + _cat(f"目标 {t}", f"得满分 {_pts(w, lang)}，")
                    + "之间按比例计分")
            if r.cap > 1:
                return head + f"；超过目标继续按比例加分，最多 {most}"
            return head + (f"；最多得 {most}" if r.cap < 1 else "")
        head = (f"Full {_pts(w, lang)} at the target of {t}, in proportion below it"
                if r.floor == 0 else
                f"0 points at or below {f}, full {_pts(w, lang)} at the target of {t}, "
                "in proportion in between")
        if r.cap > 1:
            return head + f"; above the target points keep rising, up to {most}"
        return head + (f"; at most {most}" if r.cap < 1 else "")
    if lang == "zh":  # lower is better: the floor is the bad end
        head = (_cat(t, f"及以下得满分 {_pts(w, lang)}，") + _cat(f, "及以上得 0 分，")
                + "之间按比例计分")
        if r.cap > 1:
            return head + f"；低于 {t} 继续按比例加分，最多 {most}"
        return head + (f"；最多得 {most}" if r.cap < 1 else "")
    head = (f"Full {_pts(w, lang)} at or below {t}, 0 points at or above {f}, "
            "in proportion in between (lower is better)")
    if r.cap > 1:
        return head + f"; below {t} points keep rising, up to {most}"
    return head + (f"; at most {most}" if r.cap < 1 else "")


def _steps(r: Steps, w: float, fmt: Format | None, lang: str) -> str:
    if lang == "zh":
        op = "达到" if r.direction == "higher" else "不超过"
        parts = [_cat(f"{op} {_q(t, fmt, lang)}", f"得 {_pts(w * fr, lang)}") for t, fr in r.steps]
        return "分档计分：" + "，".join(parts) + "，都未达到得 0 分"
    op = "at least" if r.direction == "higher" else "at most"
    parts = [f"{op} {_q(t, fmt, lang)}: {_pts(w * fr, lang)}" for t, fr in r.steps]
    return "In steps, the first that applies: " + "; ".join(parts) + "; otherwise 0 points"


def _deduct(r: Deduct, w: float, fmt: Format | None, lang: str) -> str:
    most = w if r.max is None else min(r.max, w)
    each = _each(fmt, lang)
    if lang == "zh":
        return (f"满分 {_pts(w, lang)}，{each}扣 {_pts(r.per, lang)}，"
                + (f"最多扣 {_pts(most, lang)}" if most < w else "扣完为止"))
    return (f"Full {_pts(w, lang)}, less {_pts(r.per, lang)} {each}, "
            + (f"at most {_pts(most, lang)} off" if most < w else "down to 0"))


def _percentile(r: Percentile, w: float, lang: str) -> str:
    if lang == "zh":
        better = "数值越高越好" if r.direction == "higher" else "数值越低越好"
        return (f"按组内名次计分（{better}）：最好的得满分 {_pts(w, lang)}，最差的得 0 分，"
                "其余按名次比例计分")
    better = "higher is better" if r.direction == "higher" else "lower is better"
    return (f"By rank within the peer group ({better}): the best gets the full "
            f"{_pts(w, lang)}, the worst 0, the others in proportion to their rank")


def _vs_mean(r: VsMean, w: float, lang: str) -> str:
    most = _pts(w * r.cap, lang)
    if lang == "zh":
        if r.direction == "higher":
            head = f"与组内平均值比较：达到平均值得满分 {_pts(w, lang)}，低于平均按比例计分"
            more = f"；高于平均继续按比例加分，最多 {most}"
        else:
            head = (f"与组内平均值比较（数值越低越好）：不高于平均值得满分 {_pts(w, lang)}，"
                    "高于平均按比例减分")
            more = f"；低于平均继续加分，最多 {most}"
        return head + (more if r.cap > 1 else f"；最多得 {most}" if r.cap < 1 else "")
    if r.direction == "higher":
        head = (f"Against the peer group's mean: full {_pts(w, lang)} at the mean, "
                "in proportion below it")
        more = f"; above the mean points keep rising, up to {most}"
    else:
        head = (f"Against the peer group's mean (lower is better): full {_pts(w, lang)} at or "
                "below the mean, in proportion above it")
        more = f"; below the mean points keep rising, up to {most}"
    return head + (more if r.cap > 1 else f"; at most {most}" if r.cap < 1 else "")


def _per_item(r: PerItem, role: str, fmt: Format | None, lang: str) -> str:
    each = _each(fmt, lang)
    if lang == "zh":
        verb = "加" if role == "bonus" else "扣"
        cap = f"，最多{verb} {_pts(r.cap, lang)}" if r.cap is not None else ""
        return f"{each}{verb} {_pts(r.per, lang)}{cap}"
    verb = "plus" if role == "bonus" else "minus"
    cap = f", at most {_pts(r.cap, lang)} in all" if r.cap is not None else ""
    return f"{verb.capitalize()} {_pts(r.per, lang)} {each}{cap}"


def _window(ind: Indicator, period: str, lang: str) -> str:
    """The v2 window and offset (spec §7) as a lead-in; empty for the run's own period."""
    if ind.window <= 1 and ind.offset == 0:
        return ""
    if lang == "zh":
        unit = PERIOD_ZH.get(period, period)
        parts = []
        if ind.window > 1:
            parts.append(f"统计最近 {ind.window} {unit}")
        if ind.offset > 0:
            parts.append(f"取 {ind.offset} {unit}前的数据")
        return "，".join(parts) + "；"
    unit = PERIOD_EN.get(period, period)
    parts = []
    if ind.window > 1:
        parts.append(f"over the last {ind.window} {unit}s")
    if ind.offset > 0:
        parts.append(f"from {ind.offset} {unit}{'s' if ind.offset > 1 else ''} before")
    return ", ".join(parts).capitalize() + "; "


MISSING_ZH = {"full": "无数据时得满分", "exclude": "无数据时不参与考核，其余指标按权重折算"}
MISSING_EN = {"full": "no data gives full points",
              "exclude": "no data: left out, the other indicators scaled up by weight"}


def rule_sentence(ind: Indicator, period: str = "month", lang: str = "zh",
                  last_grade: str | None = None) -> str:
    """The indicator's rule as one sentence in Chinese (``lang="zh"``) or English (``"en"``)."""
    fmt = ind.format
    if ind.role == "info":
        body = "仅展示，不计分" if lang == "zh" else "Shown only, not scored"
    elif ind.role == "veto":
        if lang == "zh":
            grade = f"「{last_grade}」" if last_grade else "最低一档"
            body = f"出现即一票否决：总分记 0 分，等级记为{grade}"
        else:
            grade = f"'{last_grade}'" if last_grade else "the last one"
            body = f"Any occurrence vetoes: the total becomes 0 and the grade {grade}"
    elif isinstance(ind.score, PerItem):
        body = _per_item(ind.score, ind.role, fmt, lang)
    else:
        w = ind.weight or 0.0
        r = ind.score
        if isinstance(r, Linear):
            body = _linear(r, w, fmt, lang)
        elif isinstance(r, Steps):
            body = _steps(r, w, fmt, lang)
        elif isinstance(r, Deduct):
            body = _deduct(r, w, fmt, lang)
        elif isinstance(r, Percentile):
            body = _percentile(r, w, lang)
        elif isinstance(r, VsMean):
            body = _vs_mean(r, w, lang)
        else:
            body = ""
    lead = _window(ind, period, lang)
    if lead and lang == "zh":
        body = lead + body
    elif lead:
        body = lead + body[:1].lower() + body[1:]
    if ind.role == "scored" and ind.missing in MISSING_ZH:
        body += ("；" + MISSING_ZH[ind.missing]) if lang == "zh" else ("; " + MISSING_EN[ind.missing])
    return body


def indicator_sentences(scheme: Scheme) -> dict[str, tuple[str, str]]:
    """code → (Chinese sentence, English sentence) for every indicator of ``scheme``."""
    last = scheme.grades[-1][1] if scheme.grades else None
    return {i.code: (rule_sentence(i, scheme.period, "zh", last),
                     rule_sentence(i, scheme.period, "en", last)) for i in scheme.indicators}


def scheme_sentences(scheme: Scheme, lang: str = "zh") -> list[str]:
    """The scheme-level rules as sentences: grades (with quotas), caps, demotion, elimination,
    alerts and the payout; each present rule one sentence, in that order."""
    zh = lang == "zh"
    out: list[str] = []
    names = {i.code: i.name for i in scheme.indicators}
    if scheme.grades:
        quotas = scheme.quotas or (None,) * len(scheme.grades)
        parts = []
        for (low, label), quota in zip(scheme.grades, quotas, strict=False):
            q = "" if quota is None else (f"（每组不超过 {quota:g}%）" if zh
                                          else f" (at most {quota:g}% of a group)")
            last = low == scheme.grades[-1][0] and label == scheme.grades[-1][1] and low <= 0
            if zh:
                parts.append(f"其余为{label}{q}" if last else f"{_pts(low, lang)}及以上为{label}{q}")
            else:
                parts.append(f"{label} otherwise{q}" if last else f"{label} from {_pts(low, lang)}{q}")
        out.append(("等级（按总分）：" + "，".join(parts)) if zh else ("Grades: " + "; ".join(parts)))
    if scheme.caps is not None:
        caps = [(k, v) for k, v in (("bonus", scheme.caps.bonus),
                                    ("penalty", scheme.caps.penalty)) if v is not None]
        if zh:
            out.append("，".join(f"{'加分' if k == 'bonus' else '扣分'}合计最多 "
                                f"{_pts(float(v), lang)}" for k, v in caps))
        else:
            out.append("; ".join(f"{'Bonus' if k == 'bonus' else 'Penalty'} points count at "
                                f"most {_pts(float(v), lang)} in all" for k, v in caps))
    for d in scheme.demote:
        name = names.get(d.when, d.when)
        out.append(f"出现「{name}」的，等级下降 {d.steps} 档" if zh
                   else f"Any '{name}' moves the grade {d.steps} down")
    e = scheme.elimination
    if e is not None:
        unit = PERIOD_ZH.get(scheme.period, "期") if zh else PERIOD_EN.get(scheme.period, "period")
        conds_zh, conds_en = [], []
        if e.bottom is not None:
            conds_zh.append(f"组内倒数 {e.bottom} 名")
            conds_en.append(f"in the bottom {e.bottom} of the peer group")
        if e.below is not None:
            conds_zh.append(f"总分低于 {_pts(e.below, lang)}")
            conds_en.append(f"below {_pts(e.below, lang)}")
        out.append(f"连续 {e.consecutive} {unit}{'且'.join(conds_zh)}的，列入末位淘汰" if zh
                   else f"{' and '.join(conds_en).capitalize()} for {e.consecutive} {unit}s "
                        "running: flagged for elimination")
    if scheme.alerts:
        out.append("等级为" + "、".join(scheme.alerts) + "的列入预警" if zh
                   else "Grades " + ", ".join(scheme.alerts) + " are warnings")
    if scheme.payout is not None:
        out.extend(_payout(scheme, zh))
    return out


def _money(x: object) -> str:
    return format_value(x, Format("yuan"))


def _payout(scheme: Scheme, zh: bool) -> list[str]:
    out: list[str] = []
    p = scheme.payout
    assert p is not None
    for line in p.lines:
        name = line.name
        if line.kind == "coefficient":
            base = _money(float(line.base)) if _is_number(line.base) else (
                "按公式计算的基数" if zh else "a base by formula")
            coef = ("、" if zh else ", ").join(f"{g} {c:g}" for g, c in line.coefficient)
            out.append(f"{name}：{base} × 等级系数（{coef}）" if zh
                       else f"{name}: {base} × the grade's coefficient ({coef})")
        elif line.kind == "pool":
            within = ("，在每个" + "/".join(attr_text(a) for a in line.within) + "内"
                      if line.within and zh else "")
            out.append(f"{name}：奖金池 {_money(line.pool)}{within}按总分比例分配" if zh
                       else f"{name}: a pool of {_money(line.pool)} split in proportion to totals")
        elif line.kind == "tiers":
            ind = next((i for i in scheme.indicators if i.code == line.on), None)
            on = ind.name if ind else str(line.on)
            out.append(f"{name}：按「{on}」分段计酬" if zh
                       else f"{name}: tiered on '{on}'")
        else:
            out.append(f"{name}：按公式计算金额" if zh else f"{name}: an amount by formula")
    return out


def _is_number(text: str | None) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return text is not None
