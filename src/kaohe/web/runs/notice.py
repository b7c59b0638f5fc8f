"""The notice (通报) of a run: what it says, and the same content as PDF and as Excel.

``build_notice(run, user)`` gathers the notice from ``Result.objects.restrict(user)`` only: an
assessor's notice covers their subtree, a head's their outlet, a staff member's themselves. It
shows the engine's results of the run's current revision (spec §19: accepted appeals are
adjustments the engine computed the revision with) and says which revision that is.

Which run stands for a scheme and period (``effective_run``): the *published* run when there is
one — a later recalculation of a published period never replaces it, and only one run per scheme
and period may be published; otherwise the latest done run. "Changes against the last period"
compare with the effective run of the period just before (``previous_run``).

``notice_pdf`` needs the Noto CJK font of Debian's ``fonts-noto-cjk`` package (settings
``KAOHE_NOTICE_FONT`` overrides the path); without it ``NoticeFontMissing`` names the package.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.periods import parse_period
from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import Role
from kaohe.web.runs.models import Result, Run
from kaohe.report.xlsx_style import OfficeWorkbook

NOTICE_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NOTICE_FONT_INDEX = 2  # the collection's Simplified Chinese face (Noto Sans CJK SC)
TOP = 10  # the notice lists the first and the last TOP of each peer group


class NoticeFontMissing(RuntimeError):
    """The CJK font the PDF notice embeds is not installed."""


def effective_run(scheme_id: int, period: str) -> Run | None:
    """The run that stands for ``scheme_id`` and ``period``: the published one, else the latest
    done one, else None."""
    runs = Run.objects.filter(scheme_id=scheme_id, period=period, status=Run.Status.DONE)
    published = runs.filter(published_at__isnull=False).order_by("published_at", "pk").first()
    return published or runs.order_by("-created", "-pk").first()


def effective_ids(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """``effective_run`` for many (scheme id, period) pairs at once: pair → run pk."""
    if not pairs:
        return {}
    done = Run.objects.filter(status=Run.Status.DONE, scheme_id__in={s for s, _p in pairs},
                              period__in={p for _s, p in pairs})
    best: dict[tuple[int, str], tuple[Any, ...]] = {}
    for pk, scheme_id, period, published_at, created in done.values_list(
            "pk", "scheme_id", "period", "published_at", "created"):
        # published first (the earliest), then the latest created
        key = ((0, published_at.timestamp(), pk) if published_at is not None
               else (1, -created.timestamp(), -pk))
        pair = (scheme_id, period)
        if pair in pairs and (pair not in best or key < best[pair][0]):
            best[pair] = (key, pk)
    return {pair: pk for pair, (_key, pk) in best.items()}


def previous_run(run: Run) -> Run | None:
    """The effective run of the period just before ``run``'s, of the same scheme."""
    before = parse_period(run.period, run.scheme.period).shift(-1)
    return effective_run(run.scheme_id, str(before))


@dataclass
class Row:
    """One line of the notice: one result as every page shows it (the run's revision)."""

    entity_id: str
    name: str
    unit_name: str
    group_key: str
    group_name: str
    group_size: int
    rank: int
    total: Decimal
    adjustment: Decimal
    adjustments: list[dict[str, Any]]
    grade: str
    vetoed: bool
    eliminate: bool
    payout: Decimal | None

    @classmethod
    def of(cls, r: Result) -> Row:
        return cls(entity_id=r.entity_id, name=r.name, unit_name=r.unit_name,
                   group_key=r.group_key, group_name=r.group_name, group_size=r.group_size,
                   rank=r.rank, total=r.total, adjustment=r.adjustment,
                   adjustments=list(r.adjustments or ()), grade=r.grade, vetoed=r.vetoed,
                   eliminate=r.eliminate, payout=r.payout)

    @property
    def adjusted_text(self) -> str:
        """The adjustments in words: "更正 t 为 74；加减分 +2.00"."""
        parts = []
        for a in self.adjustments:
            if a.get("kind") == "value":
                parts.append(_("更正 %(code)s 为 %(v)s") % {"code": a.get("code"),
                                                            "v": f"{a.get('amount'):g}"})
            else:
                parts.append(_("加减分 %(v)s") % {"v": f"{a.get('amount'):+.2f}"})
        return "；".join(parts)

    @property
    def flags(self) -> list[str]:
        return [label for on, label in ((self.vetoed, _("一票否决")),
                                        (self.eliminate, _("末位淘汰"))) if on]


@dataclass
class Group:
    """A peer group's visible rows, best first; ``top``/``bottom`` are what the PDF lists."""

    key: str
    name: str
    size: int  # the whole group's size (also outside the reader's scope)
    rows: list[Row]

    @property
    def top(self) -> list[Row]:
        return self.rows if len(self.rows) <= 2 * TOP else self.rows[:TOP]

    @property
    def bottom(self) -> list[Row]:
        return [] if len(self.rows) <= 2 * TOP else self.rows[-TOP:]


@dataclass
class Change:
    """One entity against the previous period. ``rank_up`` > 0: climbed that many places (None
    when it was not ranked in the same peer group); ``grade_up`` > 0 better grade, < 0 worse
    (None when either grade is not one of the run's grades)."""

    entity_id: str
    name: str
    group_name: str
    prev_rank: int | None
    rank: int
    rank_up: int | None
    prev_grade: str
    grade: str
    grade_up: int | None
    newly_flagged: list[str]
    note: str = ""


@dataclass
class Notice:
    run: Run
    title: str
    scope: str
    draft: bool
    groups: list[Group]
    grades: list[tuple[str, int]]  # (grade, count), best grade first
    vetoed: list[Row]
    eliminated: list[Row]
    previous: Run | None
    previous_period: str
    changes: list[Change] = field(default_factory=list)
    generated: datetime = field(default_factory=timezone.now)
    previous_rows: list[Row] = field(default_factory=list)
    company: str = ""  # the red header's issuer (kaohe.yaml notice.company, else the top unit)
    department: str = "市场部"  # who signs (落款)
    # (name, weight, 口径, rule sentence) per indicator, for the notice's 指标说明
    definitions: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(g.rows) for g in self.groups)

    @property
    def rank_ups(self) -> list[Change]:
        ups = [c for c in self.changes if c.rank_up and c.rank_up > 0]
        return sorted(ups, key=lambda c: (-(c.rank_up or 0), c.entity_id))[:TOP]

    @property
    def rank_downs(self) -> list[Change]:
        downs = [c for c in self.changes if c.rank_up and c.rank_up < 0]
        return sorted(downs, key=lambda c: (c.rank_up or 0, c.entity_id))[:TOP]

    @property
    def grade_changes(self) -> list[Change]:
        return [c for c in self.changes if c.grade_up]

    @property
    def newly_flagged(self) -> list[Change]:
        return [c for c in self.changes if c.newly_flagged]


def scope_label(user: Any) -> str:
    """Whose results the notice covers, in words."""
    scope = scope_of(user)
    if scope.everything:
        return _("全部单位")
    profile = getattr(user, "profile", None)
    if scope.role == Role.ASSESSOR and profile is not None and profile.unit is not None:
        return _("%(unit)s及下属单位") % {"unit": profile.unit.name}
    if scope.role == Role.STAFF:
        return _("本人")
    if scope.role == Role.INSPECTOR and profile is not None:
        return "、".join(profile.outlets.order_by("path").values_list("name", flat=True))
    if profile is not None and profile.unit is not None:
        return profile.unit.name
    return ""


def visible_rows(run: Run, user: Any) -> list[Row]:
    """The run's results ``user`` may see, by peer group then rank."""
    qs = Result.objects.restrict(user).filter(run=run).order_by("group_key", "rank",
                                                                "entity_id")
    return [Row.of(r) for r in qs]


def grade_counts(rows: list[Row], grades: list[Any]) -> list[tuple[str, int]]:
    """How many rows have each of the run's grades (best first, zeros kept), then any other."""
    counts = Counter(r.grade for r in rows)
    out = [(str(label), counts.pop(str(label), 0)) for _minimum, label in grades]
    out += sorted((label or _("无等级"), n) for label, n in counts.items())
    return out


def compare(current: list[Row], previous: list[Row], grades: list[Any]) -> list[Change]:
    """Every current row against the same entity in the previous period's rows.

    The rank is compared only within the same peer group; the grade by its position in the
    run's ``grades`` (the first is the best). Newly flagged: vetoed or eliminated now, and not
    so (or absent) before.
    """
    order = {str(label): i for i, (_minimum, label) in enumerate(grades)}
    before = {r.entity_id: r for r in previous}
    out = []
    for r in current:
        p = before.get(r.entity_id)
        if p is None:
            out.append(Change(r.entity_id, r.name, r.group_name, None, r.rank, None, "", r.grade,
                              None, r.flags, note=_("上期无结果")))
            continue
        same_group = p.group_key == r.group_key
        rank_up = p.rank - r.rank if same_group else None
        grade_up = (order[p.grade] - order[r.grade]
                    if p.grade in order and r.grade in order else None)
        new_flags = [label for now, was, label in (
            (r.vetoed, p.vetoed, _("一票否决")), (r.eliminate, p.eliminate, _("末位淘汰")))
            if now and not was]
        out.append(Change(r.entity_id, r.name, r.group_name, p.rank, r.rank, rank_up, p.grade,
                          r.grade, grade_up, new_flags,
                          note="" if same_group else _("分组变化")))
    return out


def build_notice(run: Run, user: Any) -> Notice:
    """The notice of a done ``run`` as ``user`` may read it."""
    rows = visible_rows(run, user)
    groups: dict[str, Group] = {}
    for r in rows:
        g = groups.setdefault(r.group_key, Group(r.group_key, r.group_name, r.group_size, []))
        g.rows.append(r)
    prev = previous_run(run)
    prev_period = str(parse_period(run.period, run.scheme.period).shift(-1))
    prev_rows = visible_rows(prev, user) if prev is not None else []
    changes = (compare(rows, prev_rows, run.grades) if prev is not None else [])
    title = _("%(scheme)s %(period)s 考核通报") % {"scheme": run.scheme.name,
                                                  "period": run.period}
    company, department = issuer()
    return Notice(run=run, title=title, scope=scope_label(user), draft=not run.published,
                  groups=list(groups.values()), grades=grade_counts(rows, run.grades),
                  vetoed=[r for r in rows if r.vetoed],
                  eliminated=[r for r in rows if r.eliminate],
                  previous=prev, previous_period=prev_period, changes=changes,
                  previous_rows=prev_rows, company=company, department=department,
                  definitions=indicator_definitions(run))


def issuer() -> tuple[str, str]:
    """(company, department) of the red header and the 落款: the workspace's ``notice``
    setting (kaohe.yaml), the company defaulting to the org's top unit."""
    from kaohe.web.core.workspace import workspace
    from kaohe.web.org.models import Unit

    try:
        notice = workspace().settings.notice
        company, department = notice.company, notice.department
    except Exception:  # noqa: BLE001 - a notice is still issued from a workspace that fails
        company, department = "", "市场部"
    if not company:
        top = Unit.objects.filter(parent__isnull=True).order_by("path").first()
        company = top.name if top is not None else ""
    return company, department


def indicator_definitions(run: Run) -> list[tuple[str, str, str, str]]:
    """(name, weight, 口径, rule sentence) for each of the run's indicators, in the active
    language: what people read, never the formula."""
    from kaohe.scheme.formats import Format, number_text
    from kaohe.web.runs.explain import definition_of, definitions

    try:
        defs = definitions(run)
    except Exception:  # noqa: BLE001 - a run whose scheme text no longer parses: names only
        defs = {}
    out = []
    for ind in run.indicators:
        code = str(ind.get("code"))
        description, _fmt, sentence = definition_of(defs, code)
        weight = ind.get("weight")
        out.append((str(ind.get("name") or code),
                    number_text(weight, Format("score")) if weight is not None else "—",
                    description or "—", sentence or "—"))
    return out


def document_number(n: Notice) -> str:
    """The 文号: 〔year〕第 k 号, k the period's place in its year (the month, the quarter, the
    day of the year; 1 for a year)."""
    period = parse_period(n.run.period, n.run.scheme.period)
    start = period.start
    kind = n.run.scheme.period
    k = {"month": start.month, "quarter": (start.month - 1) // 3 + 1, "year": 1}.get(
        kind, start.timetuple().tm_yday)
    return _("〔%(year)d〕第 %(n)d 号") % {"year": start.year, "n": k}


def _pts(v: Decimal | float) -> str:
    return f"{Decimal(str(v)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def _who(n: Notice) -> str:
    return {"person": _("人"), "unit": _("个单位")}.get(n.run.entity, _("个"))


def summary_paragraphs(n: Notice) -> list[str]:
    """The notice's body: the period summarised from the stored results (adjusted values) —
    how many, the average, the best and the worst, the grades, each group's leader, who is
    flagged, and what changed against the last period. Every number is read from ``n``."""
    rows = [r for g in n.groups for r in g.rows]
    if not rows:
        return [_("本期范围内没有考核结果。")]
    who = _who(n)
    avg = sum((r.total for r in rows), Decimal(0)) / len(rows)
    best = max(rows, key=lambda r: (r.total, -r.rank))
    worst = min(rows, key=lambda r: (r.total, -r.rank))
    out = [_("%(scheme)s %(period)s 考核已完成，共考核 %(n)d %(who)s，分 %(g)d 个组。平均总分 "
             "%(avg)s 分；最高 %(best)s 分（%(bname)s，%(bgroup)s），最低 %(worst)s 分"
             "（%(wname)s，%(wgroup)s）。") % {
        "scheme": n.run.scheme.name, "period": n.run.period, "n": len(rows), "who": who,
        "g": len(n.groups), "avg": _pts(avg), "best": _pts(best.total), "bname": best.name,
        "bgroup": best.group_name or _("全部"), "worst": _pts(worst.total),
        "wname": worst.name, "wgroup": worst.group_name or _("全部")}]
    if n.grades:
        out.append(_("等级分布：") + "，".join(
            f"{g} {c} {who}（{100 * c / len(rows):.1f}%）" for g, c in n.grades) + "。")
    leaders = [(g, [r for r in g.rows if r.rank == 1]) for g in n.groups]
    shown = [f"{g.name or _('全部')} {'、'.join(r.name for r in top)}（{_pts(top[0].total)} 分）"
             for g, top in leaders[:12] if top]
    if shown:
        more = _("等 %(n)d 个组") % {"n": len(leaders)} if len(leaders) > 12 else ""
        out.append(_("各组第一名：") + "；".join(shown) + more + "。")
    flagged = []
    if n.vetoed:
        flagged.append(_("一票否决 %(n)d %(who)s：") % {"n": len(n.vetoed), "who": who}
                       + "、".join(f"{r.name}（{r.group_name}）" for r in n.vetoed[:20]))
    if n.eliminated:
        flagged.append(_("末位淘汰 %(n)d %(who)s：") % {"n": len(n.eliminated), "who": who}
                       + "、".join(f"{r.name}（{r.group_name}）" for r in n.eliminated[:20]))
    out.append("；".join(flagged) + _("。请所在单位督促整改，限期提升。") if flagged
               else _("本期无一票否决和末位淘汰。"))
    if n.previous is None:
        out.append(_("上期（%(period)s）没有已完成的考核，本期不作比较。")
                   % {"period": n.previous_period})
    elif n.previous_rows:
        before = sum((r.total for r in n.previous_rows), Decimal(0)) / len(n.previous_rows)
        diff = avg - before
        verb = _("升至") if diff > 0 else _("降至") if diff < 0 else _("持平于")
        ups = sum(1 for c in n.changes if (c.rank_up or 0) > 0)
        downs = sum(1 for c in n.changes if (c.rank_up or 0) < 0)
        gup = sum(1 for c in n.changes if (c.grade_up or 0) > 0)
        gdown = sum(1 for c in n.changes if (c.grade_up or 0) < 0)
        text = _("与上期（%(period)s）相比，平均总分由 %(before)s 分%(verb)s %(now)s 分"
                 "（%(diff)s 分）；排名上升 %(up)d %(who)s、下降 %(down)d %(who)s，等级上升 "
                 "%(gup)d %(who)s、下降 %(gdown)d %(who)s。") % {
            "period": n.previous_period, "before": _pts(before), "verb": verb,
            "now": _pts(avg), "diff": ("+" if diff > 0 else "") + _pts(diff), "up": ups,
            "down": downs, "who": who, "gup": gup, "gdown": gdown}
        climbers = n.rank_ups[:3]
        if climbers:
            text += _("进步最大的是") + "；".join(
                _("%(name)s（%(group)s，排名由第 %(a)d 名升至第 %(b)d 名）") % {
                    "name": c.name, "group": c.group_name, "a": c.prev_rank or 0, "b": c.rank}
                for c in climbers) + "。"
        out.append(text)
    return out


def _local(dt: datetime | None) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def header_lines(n: Notice) -> list[tuple[str, str]]:
    """The notice's facts, as (label, value) pairs, for both formats."""
    run = n.run
    return [
        (_("考核方案"), f"{run.scheme.name}（{run.scheme.code}）"),
        (_("考核期"), run.period),
        (_("方案版本"), f"v{run.version.number}"),
        (_("运行编号"), f"#{run.pk}"),
        (_("结果版本"), run.revision_label),
        (_("发布"), (f"{_local(run.published_at)} {run.published_by or ''}".strip()
                     if run.published else _("草稿（未发布）"))),
        (_("范围"), n.scope),
        (_("人数"), str(n.count)),
        (_("生成时间"), _local(n.generated)),
    ]


def _signed(v: int | None) -> str:
    if v is None:
        return "—"
    return f"↑{v}" if v > 0 else (f"↓{-v}" if v < 0 else "—")


# --------------------------------------------------------------------------------------- PDF

def notice_pdf(n: Notice) -> bytes:
    """The notice as an A4 PDF with the Noto Sans CJK SC font embedded."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    font = Path(getattr(settings, "KAOHE_NOTICE_FONT", NOTICE_FONT))
    if not font.is_file():
        raise NoticeFontMissing(_(
            "缺少中文字体 %(font)s：请安装 Debian 软件包 fonts-noto-cjk"
            "（apt-get install fonts-noto-cjk）") % {"font": font})
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(n.title)
    pdf.set_creator("kaohe")
    pdf.add_font("cjk", "", str(font), collection_font_number=NOTICE_FONT_INDEX)
    pdf.set_auto_page_break(True, margin=15)
    pdf.alias_nb_pages()
    footer = _("第 %(page)s 页，共 %(pages)s 页")

    def on_footer() -> None:
        pdf.set_y(-12)
        pdf.set_font("cjk", size=8)
        pdf.cell(0, 6, footer % {"page": pdf.page_no(), "pages": "{nb}"}, align="C")

    pdf.footer = on_footer  # type: ignore[method-assign]
    pdf.add_page()
    head = FontFace(fill_color=(238, 242, 247))

    def heading(text: str, size: int = 12) -> None:
        pdf.ln(2)
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=8.5)

    def table(widths: tuple[int, ...], header: list[str], rows: list[list[str]],
              align: tuple[str, ...] | None = None) -> None:
        pdf.set_font("cjk", size=8.5)
        with pdf.table(col_widths=widths, headings_style=head, line_height=5,
                       text_align=align or "LEFT", first_row_as_headings=True) as t:
            for values in [header, *rows]:
                line = t.row()
                for v in values:
                    line.cell(v)
        pdf.ln(1)

    # 红头: the issuer in red, the 文号, a red rule; then the title and the written body
    red = (200, 16, 16)
    pdf.set_text_color(*red)
    pdf.set_font("cjk", size=24)
    pdf.multi_cell(0, 13, f"{n.company}{n.department}" + _("文件"), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=11)
    pdf.ln(2)
    pdf.multi_cell(0, 6, f"{n.department}{document_number(n)}", align="C", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_draw_color(*red)
    pdf.set_line_width(0.8)
    y = pdf.get_y() + 2
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_y(y + 5)
    title = n.title + (_("（草稿）") if n.draft else "")
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 9, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    pdf.set_text_color(100, 100, 100)
    pdf.multi_cell(0, 4.5, "　".join(f"{label}：{value}" for label, value in header_lines(n)),
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 6.5, _("各单位："), new_x="LMARGIN", new_y="NEXT")
    for para in summary_paragraphs(n):
        # left-aligned: a justified line is written as a TJ array with spacing, which text
        # search and copy-paste read less reliably
        pdf.multi_cell(0, 6.5, "　　" + para, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6.5, "　　" + _("具体结果通报如下。"), new_x="LMARGIN", new_y="NEXT")

    heading(_("一、等级分布"))
    total = max(n.count, 1)
    table((40, 30, 30), [_("等级"), _("人数"), _("占比")],
          [[g, str(c), f"{100 * c / total:.1f}%"] for g, c in n.grades],
          ("LEFT", "RIGHT", "RIGHT"))
    _grade_chart(pdf, n)

    heading(_("二、排名（每组前 %(n)d 名与后 %(n)d 名）") % {"n": TOP})
    cols = [_("排名"), _("编号"), _("名称"), _("所属单位"), _("总分"), _("等级"), _("标记")]
    widths = (12, 22, 28, 50, 18, 18, 30)
    align = ("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "LEFT")

    def line(r: Row) -> list[str]:
        return [f"{r.rank}/{r.group_size}", r.entity_id, r.name, r.unit_name, f"{r.total:.2f}",
                r.grade, "、".join(r.flags)]

    if not n.groups:
        pdf.multi_cell(0, 5, _("范围内没有结果。"), new_x="LMARGIN", new_y="NEXT")
    for g in n.groups:
        heading(_("%(group)s（共 %(size)d）") % {"group": g.name or _("全部"), "size": g.size},
                size=10)
        rows = [line(r) for r in g.top]
        if g.bottom:
            rows.append(["…", "", _("（中间 %(n)d 名略）") % {"n": len(g.rows) - 2 * TOP},
                         "", "", "", ""])
            rows += [line(r) for r in g.bottom]
        table(widths, cols, rows, align)

    heading(_("三、末位淘汰与一票否决"))
    flagged = [*n.vetoed, *[r for r in n.eliminated if not r.vetoed]]
    if flagged:
        table(widths, cols, [line(r) for r in flagged], align)
    else:
        pdf.multi_cell(0, 5, _("无。"), new_x="LMARGIN", new_y="NEXT")

    heading(_("四、与上期（%(period)s）相比") % {"period": n.previous_period})
    if n.previous is None:
        pdf.multi_cell(0, 5, _("上期没有已完成的考核，无法比较。"), new_x="LMARGIN",
                       new_y="NEXT")
    else:
        ups, downs, grades_, new = n.rank_ups, n.rank_downs, n.grade_changes, n.newly_flagged
        pdf.multi_cell(0, 5, _(
            "对比运行 #%(run)s。排名上升 %(up)d 人，下降 %(down)d 人；等级上升 %(gup)d 人，"
            "下降 %(gdown)d 人；新增标记 %(new)d 人。") % {
            "run": n.previous.pk,
            "up": sum(1 for c in n.changes if (c.rank_up or 0) > 0),
            "down": sum(1 for c in n.changes if (c.rank_up or 0) < 0),
            "gup": sum(1 for c in grades_ if (c.grade_up or 0) > 0),
            "gdown": sum(1 for c in grades_ if (c.grade_up or 0) < 0), "new": len(new)},
            new_x="LMARGIN", new_y="NEXT")
        ccols = [_("编号"), _("名称"), _("分组"), _("上期排名"), _("本期排名"), _("升降"),
                 _("上期等级"), _("本期等级"), _("新增标记")]
        cw = (20, 24, 40, 16, 16, 14, 16, 16, 24)

        def cline(c: Change) -> list[str]:
            return [c.entity_id, c.name, c.group_name, str(c.prev_rank or "—"), str(c.rank),
                    _signed(c.rank_up), c.prev_grade or "—", c.grade, "、".join(c.newly_flagged)]

        for label, items in ((_("排名上升最多"), ups), (_("排名下降最多"), downs),
                             (_("等级变化"), grades_), (_("新增末位淘汰或一票否决"), new)):
            if items:
                heading(label, size=10)
                table(cw, ccols, [cline(c) for c in items])

    if n.definitions:
        heading(_("五、指标说明"))
        table((30, 12, 70, 70), [_("指标"), _("权重"), _("口径"), _("计分规则")],
              [list(d) for d in n.definitions], ("LEFT", "RIGHT", "LEFT", "LEFT"))

    # 落款: the issuing department and the date, right-aligned, after the body
    pdf.ln(8)
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.set_font("cjk", size=11)
    day = timezone.localtime(n.run.published_at or n.generated).date()
    for text in (f"{n.company}{n.department}",
                 _("%(y)d 年 %(m)d 月 %(d)d 日") % {"y": day.year, "m": day.month, "d": day.day}):
        pdf.cell(0, 7, text, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _grade_chart(pdf: Any, n: Notice) -> None:
    """A horizontal bar per grade (its count), drawn with fpdf2's primitives, coloured from the
    best grade (green) to the last (red) as in the workbook."""
    from kaohe.report.common import grade_colours

    if not n.grades or not n.count:
        return
    height = 6 * len(n.grades) + 4
    if pdf.get_y() + height > pdf.h - 20:
        pdf.add_page()
    colours = grade_colours(len(n.grades), lightness=0.55, saturation=0.6)
    biggest = max(c for _g, c in n.grades) or 1
    x0, width = pdf.l_margin + 28, 120
    y = top = pdf.get_y() + 2
    pdf.set_font("cjk", size=8.5)
    for (grade, count), colour in zip(n.grades, colours, strict=True):
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(26, 5, grade, align="R")
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        pdf.set_fill_color(*rgb)
        bar = width * count / biggest
        if bar > 0:
            pdf.rect(x0, y + 0.5, bar, 4, style="F")
        pdf.set_xy(x0 + bar + 1, y)
        pdf.cell(20, 5, str(count))
        y += 6
    pdf.set_draw_color(120, 120, 120)
    pdf.line(x0, top, x0, y)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(y + 2)


# ------------------------------------------------------------------------------------- Excel

def notice_xlsx(n: Notice) -> bytes:
    """The notice as a workbook: 概况 (facts, grade distribution), 排名 (the whole visible
    ranking), 标记人员 (vetoed, eliminated), 与上期对比 (every entity against last period) and
    指标说明 (each indicator's 口径 and rule as a sentence)."""

    from kaohe.report.safe import write_text, write_texts

    buf = io.BytesIO()
    wb = OfficeWorkbook(buf, {"in_memory": True})
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    points = wb.add_format({"num_format": "0.00"})
    money = wb.add_format({"num_format": "¥#,##0.00"})
    pct = wb.add_format({"num_format": "0.0%"})
    run = n.run

    ws = wb.add_worksheet(_("概况"))
    # Names, grades and notes come from users: text cells only, never formulas (report.safe).
    write_text(ws, 0, 0, n.title + (_("（草稿）") if n.draft else ""), title)
    for i, (label, value) in enumerate(header_lines(n), start=2):
        write_text(ws, i, 0, label, bold)
        write_text(ws, i, 1, value)
    top = len(header_lines(n)) + 3
    write_texts(ws, top, 0, [_("等级"), _("人数"), _("占比")], head)
    for i, (g, c) in enumerate(n.grades, start=top + 1):
        write_text(ws, i, 0, g)
        ws.write_number(i, 1, c)
        ws.write_number(i, 2, c / n.count if n.count else 0, pct)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 36)
    ws.set_column(2, 2, 10)

    def sheet(name: str, header: list[str], widths: list[int]) -> Any:
        s = wb.add_worksheet(name)
        write_texts(s, 0, 0, header, head)
        s.freeze_panes(1, 0)
        for col, w in enumerate(widths):
            s.set_column(col, col, w)
        return s

    cols = [_("分组"), _("排名"), _("组内人数"), _("编号"), _("名称"), _("所属单位"),
            _("申诉调整说明"), _("申诉调整"), _("总分"), _("等级"), _("一票否决"), _("末位淘汰")]
    widths = [24, 6, 8, 14, 12, 24, 24, 10, 10, 8, 8, 8]
    if run.has_payout:
        cols.append(_("兑现金额"))
        widths.append(12)

    def write_rows(s: Any, rows: list[Row]) -> None:
        yes = _("是")
        for i, r in enumerate(rows, start=1):
            write_text(s, i, 0, r.group_name)
            s.write_number(i, 1, r.rank)
            s.write_number(i, 2, r.group_size)
            s.write_string(i, 3, r.entity_id)  # ids such as 0104 stay text
            write_text(s, i, 4, r.name)
            write_text(s, i, 5, r.unit_name)
            write_text(s, i, 6, r.adjusted_text)
            s.write_number(i, 7, float(r.adjustment), points)
            s.write_number(i, 8, float(r.total), points)
            write_text(s, i, 9, r.grade)
            write_text(s, i, 10, yes if r.vetoed else "")
            write_text(s, i, 11, yes if r.eliminate else "")
            if run.has_payout and r.payout is not None:
                s.write_number(i, 12, float(r.payout), money)
        if rows:
            s.autofilter(0, 0, len(rows), len(cols) - 1)

    write_rows(sheet(_("排名"), cols, widths), [r for g in n.groups for r in g.rows])
    flagged = [*n.vetoed, *[r for r in n.eliminated if not r.vetoed]]
    write_rows(sheet(_("标记人员"), cols, widths), flagged)

    s = sheet(_("与上期对比"), [_("编号"), _("名称"), _("分组"), _("上期排名"), _("本期排名"),
                                _("排名升降"), _("上期等级"), _("本期等级"), _("等级升降"),
                                _("新增标记"), _("备注")],
              [14, 12, 24, 8, 8, 8, 8, 8, 8, 16, 16])
    if n.previous is None:
        write_text(s, 1, 0, _("上期（%(period)s）没有已完成的考核，无法比较。")
                % {"period": n.previous_period})
    for i, ch in enumerate(n.changes, start=1):
        s.write_string(i, 0, ch.entity_id)
        write_text(s, i, 1, ch.name)
        write_text(s, i, 2, ch.group_name)
        if ch.prev_rank is not None:
            s.write_number(i, 3, ch.prev_rank)
        s.write_number(i, 4, ch.rank)
        if ch.rank_up is not None:
            s.write_number(i, 5, ch.rank_up)
        write_text(s, i, 6, ch.prev_grade)
        write_text(s, i, 7, ch.grade)
        if ch.grade_up is not None:
            s.write_number(i, 8, ch.grade_up)
        write_text(s, i, 9, "、".join(ch.newly_flagged))
        write_text(s, i, 10, ch.note)
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    s = sheet(_("指标说明"), [_("指标"), _("权重"), _("口径"), _("计分规则")], [18, 8, 48, 56])
    for i, definition in enumerate(n.definitions, start=1):
        for c, value in enumerate(definition):
            write_text(s, i, c, value, wrap)
    wb.close()
    return buf.getvalue()
