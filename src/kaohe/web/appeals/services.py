"""File and decide appeals: the writes of the appeals app, each in one transaction that
re-checks the user's scope (``restrict``) on rows locked with ``select_for_update``.

``file_appeal`` and ``decide_appeal`` raise ``OutOfScope`` when the object is not (or no longer)
in the user's scope for the action (the view answers 404), and ``AppealRefused`` with a message
a user can act on when the action is not possible now (the view shows it, status 409).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.errors import InputError
from kaohe.web.appeals.models import Appeal, Attachment
from kaohe.web.core.files import FileKind
from kaohe.web.core.roles import Action
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.services import RevisionRefused, revise_run

class OutOfScope(Exception):
    """The object does not exist for this user and action."""


class AppealRefused(Exception):
    """The action is understood and permitted, but not possible in the object's state."""


def appealable(result: Result) -> str | None:
    """Why ``result`` cannot be appealed now, or None when it can."""
    if result.run.status != Run.Status.DONE:
        return _("该考核尚未完成，不能申诉。")
    if result.appeals.filter(status=Appeal.Status.FILED).exists():
        return _("该考核结果已有一件待处理的申诉，请等待处理后再提交。")
    return None


def display_name(name: str) -> str:
    """The uploader's file name, reduced to its last path part and printable characters."""
    base = os.path.basename(name.replace("\\", "/")).strip()
    base = "".join(c for c in base if c.isprintable() and c not in "\"'<>")
    return (base or "attachment")[:200]


def file_appeal(user: Any, result_pk: int, *, indicator: str, reason: str,
                files: Sequence[tuple[UploadedFile, FileKind]]) -> Appeal:
    """Record ``user``'s appeal against result ``result_pk`` with its (already checked) files.

    The files are written under MEDIA_ROOT with random names; when the transaction fails they
    are removed again, so no file outlives a rolled-back appeal.
    """
    stored: list[str] = []
    try:
        with transaction.atomic():
            result = (Result.objects.restrict(user, Action.APPEAL)
                      .select_for_update(of=("self",)).select_related("run")
                      .filter(pk=result_pk).first())
            if result is None:
                raise OutOfScope
            refusal = appealable(result)
            if refusal:
                raise AppealRefused(refusal)
            codes = {str(i.get("code")) for i in result.run.indicators}
            if indicator and indicator not in codes:
                raise AppealRefused(_("该考核没有指标 %(code)s。") % {"code": indicator})
            appeal = Appeal.objects.create(result=result, indicator=indicator, reason=reason,
                                           filed_by=user)
            for upload, kind in files:
                attachment = Attachment(appeal=appeal, name=display_name(upload.name or ""),
                                        content_type=kind.content_type, size=upload.size or 0)
                upload.seek(0)
                attachment.file.save(uuid.uuid4().hex + kind.extension, upload, save=False)
                stored.append(attachment.file.name)
                attachment.save()
    except IntegrityError as exc:  # a second appeal posted at the same moment
        _remove(stored)
        raise AppealRefused(_("该考核结果已有一件待处理的申诉。")) from exc
    except BaseException:
        _remove(stored)
        raise
    return appeal


def _remove(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _peers_outside_scope(user: Any, result: Result) -> bool:
    """Would the new revision move a result outside ``user``'s scope? An accepted adjustment
    is computed again with the whole run (``runs.services.revise_run``): ranks, quotas and
    pools of the peer group follow; a group that reaches into another branch is then an
    admin's to decide."""
    mine = Result.objects.restrict(user, Action.DECIDE).filter(run_id=result.run_id)
    return (Result.objects.filter(run_id=result.run_id, group_key=result.group_key)
            .exclude(pk__in=mine.values("pk")).exists())


def period_adjustments(scheme_id: int, period: str) -> Any:
    """The accepted appeals of a scheme's period (of every run of it), as the engine's
    adjustments (spec §19): entity, the appealed indicator, kind, amount, and the appeal's
    number and decision as the reason."""
    from kaohe.engine.adjustments import from_records

    rows = (Appeal.objects.filter(status=Appeal.Status.ACCEPTED,
                                  result__run__scheme_id=scheme_id, result__run__period=period)
            .select_related("result").order_by("decided_at", "pk"))
    return from_records([{
        "entity": a.result.entity_id, "code": a.indicator, "kind": a.kind,
        "amount": str(a.adjustment), "reason": f"申诉 #{a.pk}: {a.decision}"[:500]}
        for a in rows], _("已采纳的申诉"), first_row=1)


def decide_appeal(user: Any, appeal_pk: int, *, accept: bool, points: Decimal | None,
                  reason: str, kind: str = Appeal.Kind.POINTS) -> Appeal:
    """Accept (with ``points``, non-zero, added to the total; or with ``kind`` value, the
    appealed indicator's corrected value) or reject the appeal, once.

    Accepting is an adjustment (spec §19): in the same transaction the engine computes the
    run's period again with every accepted appeal of it and the run's results become that new
    revision (``runs.services.revise_run``): ranks, grades, quotas, elimination and payouts
    follow. If the engine refuses (say, the org changed), nothing is decided.
    """
    value = kind == Appeal.Kind.VALUE
    if accept and points is None:
        raise AppealRefused(_("采纳申诉须填写调整量。"))
    if accept and not value and not points:
        raise AppealRefused(_("采纳申诉须填写非 0 的调整分值。"))
    with transaction.atomic():
        appeal = (Appeal.objects.restrict(user, Action.DECIDE).select_for_update(of=("self",))
                  .filter(pk=appeal_pk).first())
        if appeal is None:
            raise OutOfScope
        if appeal.status != Appeal.Status.FILED:
            raise AppealRefused(_("该申诉已于 %(at)s 处理，不能重复处理。") % {
                "at": timezone.localtime(appeal.decided_at).strftime("%Y-%m-%d %H:%M")
                if appeal.decided_at else "—"})
        if appeal.filed_by_id is not None and appeal.filed_by_id == user.pk:
            raise AppealRefused(_("不能处理自己提交的申诉。"))
        if accept and value and not appeal.indicator:
            raise AppealRefused(_("该申诉未指明指标，不能更正指标值；请按加减分处理或驳回。"))
        # the run first: two decisions on one run take turns (the second sees the first)
        run = Run.objects.select_for_update().select_related("scheme", "version").get(
            pk=Result.objects.filter(pk=appeal.result_id).values("run_id")[:1])
        result = Result.objects.select_for_update().get(pk=appeal.result_id)
        if accept and _peers_outside_scope(user, result):
            raise AppealRefused(_("采纳该申诉会改变您管辖范围以外的排名（同一分组中有其他单位的"
                                  "考核对象），请驳回或交考核管理员处理。"))
        appeal.status = Appeal.Status.ACCEPTED if accept else Appeal.Status.REJECTED
        appeal.kind = kind if accept else Appeal.Kind.POINTS
        appeal.adjustment = points if accept else None
        appeal.decision = reason
        appeal.decided_by = user
        appeal.decided_at = timezone.now()
        appeal.save()  # audited; revise_run reads it among the accepted appeals
        if accept:
            try:
                revise_run(run)
            except (RevisionRefused, InputError) as exc:
                raise AppealRefused(str(exc)) from exc
            # the revision it produced (the run's own audit entry records the same change)
            appeal.revision = run.revision
            Appeal.objects.filter(pk=appeal.pk).update(revision=run.revision)
    return appeal
