"""Form entries: inspection checklists (inspectors) and spot checks / quiz scores (hall heads).

- ``data:inspection_new`` (action "inspect"): inspectors for their assigned outlets, admins for
  any outlet (another outlet is a 404). One submit stores one ``Inspection``, its facts in
  source ``inspections`` (one row per problem ticked, or one row 无问题 with deduction 0) and one
  ``DataLoad``, in one transaction; the outlet is re-checked with ``restrict`` inside it.
- ``data:inspections`` / ``data:inspection`` / ``data:inspection_photo`` (action "view"):
  inspections of the user's scope (admins, assessors, heads, inspectors, partners); staff: 403.
  The photo is streamed by the view, never from a public media URL.
- ``data:entry`` (action "enter"): a hall head for the people of their own hall, admins for the
  hall they pick (another hall or person is a 404). 多说一句话 spot checks (source ``upsell``)
  and 每日一题 scores (``quiz``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import Action, Role, can, role_of
from kaohe.web.data.checklist import BY_CODE, ITEMS, NO_PROBLEM
from kaohe.web.data.forms import InspectionForm, QuizForm, UpsellForm
from kaohe.web.data.models import DataLoad, Inspection
from kaohe.web.data.services import Outcome, load_rows
from kaohe.web.org.models import Person, Unit

PER_PAGE = 50
INSPECTION_COLUMNS = ("visit_id", "unit_id", "at", "inspector", "method", "item", "deduction")
UPSELL_COLUMNS = ("check_id", "person_id", "at", "said", "checker")
QUIZ_COLUMNS = ("person_id", "day", "score")


class _Rejected(Exception):
    """Leaves the transaction (rolling it back) with the importer's verdict."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.load.message)
        self.outcome = outcome


def _who(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _local(moment: Any) -> str:
    """A form's aware datetime as the naive local time the store keeps."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _record_rejection(load: DataLoad) -> DataLoad:
    """The rejected load again, outside the rolled-back transaction."""
    load.pk = None
    load._state.adding = True
    load.save()
    return load


def outlets_for(user: Any) -> Any:
    """Outlets ``user`` may inspect: an inspector's assigned outlets; for admins every unit
    without sub-units (branches and counties are not visited)."""
    units = Unit.objects.restrict(user, Action.INSPECT)
    if scope_of(user).everything:
        units = units.filter(children__isnull=True)
    return units.order_by("path")


@login_required
@require_http_methods(["GET", "POST"])
def inspection_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, Action.INSPECT):
        raise PermissionDenied
    outlets = outlets_for(user)
    if request.method != "POST":
        form = InspectionForm(outlets=outlets, initial={
            "at": timezone.localtime().replace(second=0, microsecond=0),
            "method": Inspection.Method.SECRET})
        return _inspection_form(request, form)
    posted = request.POST.get("unit", "")
    if posted and not outlets.filter(pk=posted).exists():
        raise Http404  # an outlet outside the user's scope (or none): never a form to retry
    form = InspectionForm(request.POST, request.FILES, outlets=outlets)
    if not form.is_valid():
        return _inspection_form(request, form, status=400)
    d = form.cleaned_data
    secret = d["method"] == Inspection.Method.SECRET
    at = d["at"]
    visit_id = (f"{'AF' if secret else 'MC'}{timezone.localtime(at):%Y%m%d}"
                f"W{uuid.uuid4().hex[:10].upper()}")
    ticked = [BY_CODE[c] for c in d["items"]]
    items = [{"item": i.name, "deduction": str(i.deduction)} for i in ticked]
    total = sum((i.deduction for i in ticked), Decimal(0))
    load = DataLoad(source="inspections", file_name=f"{visit_id}.csv", via=DataLoad.Via.FORM,
                    loaded_by=user)
    photo_name = ""
    try:
        with transaction.atomic():
            # Re-check the outlet inside the transaction: assignments may have changed.
            unit = get_object_or_404(outlets_for(user), pk=d["unit"].pk)
            load.unit = unit
            facts = [(visit_id, unit.pk, _local(at), _who(user), d["method"], i.name,
                      str(i.deduction)) for i in ticked]
            if not facts:
                facts = [(visit_id, unit.pk, _local(at), _who(user), d["method"], NO_PROBLEM,
                          "0")]
            inspection = Inspection(visit_id=visit_id, unit=unit, inspector=user, at=at,
                                    method=d["method"], items=items, total_deduction=total,
                                    note=d["note"])
            if d["photo"]:
                # A random name with the suffix its magic bytes earned; never the user's name.
                inspection.photo.save(f"{uuid.uuid4().hex}{form.photo_suffix}",
                                      ContentFile(d["photo"].read()), save=False)
                photo_name = inspection.photo.name
            # The store import comes last: once it has committed nothing else can fail but
            # the database commit itself.
            outcome = load_rows(user, Action.INSPECT, load, INSPECTION_COLUMNS, facts)
            if not outcome.ok:
                raise _Rejected(outcome)
            inspection.load = outcome.load
            inspection.save()
    except _Rejected as exc:
        if photo_name:
            Inspection.photo.field.storage.delete(photo_name)
        rejected = _record_rejection(exc.outcome.load)
        messages.error(request, _("检查记录未保存：%(why)s") % {"why": rejected.message})
        return redirect("data:load", pk=rejected.pk)
    except Http404:
        if photo_name:
            Inspection.photo.field.storage.delete(photo_name)
        raise
    messages.success(request, _("检查记录已保存：%(id)s，扣 %(n)s 分") % {
        "id": visit_id, "n": f"{total:.2f}"})
    return redirect("data:inspection", pk=inspection.pk)


def _inspection_form(request: HttpRequest, form: InspectionForm, status: int = 200) -> HttpResponse:
    chosen = set(form["items"].value() or [])
    rows = [{"item": i, "checked": i.code in chosen, "id": f"item-{i.code}"} for i in ITEMS]
    return render(request, "data/inspection_form.html",
                  {"form": form, "items": rows, "no_problem": NO_PROBLEM}, status=status)


def _inspection_viewers(request: HttpRequest) -> Any:
    if not can(request.user, Action.VIEW) or role_of(request.user) == Role.STAFF:
        raise PermissionDenied
    return Inspection.objects.restrict(request.user, Action.VIEW)


@login_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    rows = _inspection_viewers(request).select_related("unit", "inspector")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "data/inspections.html", {
        "page": page, "may_inspect": can(request.user, Action.INSPECT)})


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    obj = get_object_or_404(_inspection_viewers(request).select_related("unit", "inspector"),
                            pk=pk)
    return render(request, "data/inspection.html", {"inspection": obj})


@login_required
def inspection_photo(request: HttpRequest, pk: int) -> FileResponse:
    obj = get_object_or_404(_inspection_viewers(request), pk=pk)
    if not obj.photo:
        raise Http404
    name = obj.photo.name.lower()
    kind = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(obj.photo.open("rb"), content_type=kind)
    response["Content-Disposition"] = f'inline; filename="{obj.visit_id}{name[-4:]}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- 多说一句话 spot checks and 每日一题 scores ------------------------------------------------


def _hall(request: HttpRequest) -> Unit | None:
    """The hall whose staff are entered: a head's own; for admins the one they picked."""
    user = request.user
    halls = Unit.objects.restrict(user, Action.ENTER)
    wanted = request.POST.get("unit") or request.GET.get("unit")
    if not wanted and role_of(user) == Role.HEAD:
        wanted = user.profile.unit_id  # type: ignore[union-attr]
    if not wanted:
        return None
    return get_object_or_404(halls, pk=wanted)


def _people(user: Any, hall: Unit) -> Any:
    return Person.objects.restrict(user, Action.ENTER).filter(unit=hall).order_by("position", "pk")


@login_required
@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, Action.ENTER):
        raise PermissionDenied
    hall = _hall(request)
    if hall is None:  # an admin who has not picked a hall yet
        halls = (Unit.objects.restrict(user, Action.ENTER).filter(children__isnull=True)
                 .order_by("path"))
        return render(request, "data/entry.html", {"hall": None, "halls": halls})
    people = _people(user, hall)
    upsell = UpsellForm(people=people, initial={
        "at": timezone.localtime().replace(second=0, microsecond=0)})
    quiz = QuizForm(people=people, initial={"day": timezone.localdate()})
    status = 200
    if request.method == "POST":
        _refuse_foreign_people(request, people)
        which = request.POST.get("form")
        if which == "upsell":
            upsell = UpsellForm(request.POST, people=people)
            if upsell.is_valid():
                return _save_upsell(request, hall, upsell)
        elif which == "quiz":
            quiz = QuizForm(request.POST, people=people)
            if quiz.is_valid():
                return _save_quiz(request, hall, quiz)
        status = 400
    return render(request, "data/entry.html", {"hall": hall, "upsell": upsell, "quiz": quiz},
                  status=status)


def _refuse_foreign_people(request: HttpRequest, people: Any) -> None:
    """404 when the form names anyone who is not one of ``people`` (the hall's staff in the
    user's scope): a spot check's person, or a quiz score field. Otherwise the spot check would
    be a form error and a stray score silently dropped."""
    named = {request.POST.get("upsell-person", "")} - {""}
    named |= {key[len("quiz-score_"):] for key in request.POST if key.startswith("quiz-score_")}
    if named and people.filter(pk__in=named).count() != len(named):
        raise Http404


def _save_entry(request: HttpRequest, hall: Unit, source: str, columns: tuple[str, ...],
                rows: list[tuple[Any, ...]], person_ids: list[str]) -> HttpResponse:
    user = request.user
    load = DataLoad(source=source, via=DataLoad.Via.FORM, unit=hall, loaded_by=user,
                    file_name=f"{source}-{timezone.localtime():%Y%m%d%H%M%S}.csv")
    try:
        with transaction.atomic():
            # Re-check inside the transaction: the people may have moved since the form.
            in_scope = set(_people(user, hall).filter(pk__in=person_ids)
                           .values_list("pk", flat=True))
            if in_scope != set(person_ids):
                raise Http404
            outcome = load_rows(user, Action.ENTER, load, columns, rows)
            if not outcome.ok:
                raise _Rejected(outcome)
    except _Rejected as exc:
        rejected = _record_rejection(exc.outcome.load)
        messages.error(request, _("未保存：%(why)s") % {"why": rejected.message})
        return redirect("data:load", pk=rejected.pk)
    messages.success(request, _("已保存 %(n)s 条") % {"n": outcome.load.rows})
    return redirect("data:load", pk=outcome.load.pk)


def _save_upsell(request: HttpRequest, hall: Unit, form: UpsellForm) -> HttpResponse:
    d = form.cleaned_data
    check_id = f"DSW{uuid.uuid4().hex[:12].upper()}"
    row = (check_id, d["person"].pk, _local(d["at"]), "true" if d["said"] else "false",
           _who(request.user))
    return _save_entry(request, hall, "upsell", UPSELL_COLUMNS, [row], [d["person"].pk])


def _save_quiz(request: HttpRequest, hall: Unit, form: QuizForm) -> HttpResponse:
    day = form.cleaned_data["day"].isoformat()
    scores = form.scores()
    rows = [(pid, day, str(score)) for pid, score in scores]
    return _save_entry(request, hall, "quiz", QUIZ_COLUMNS, rows, [pid for pid, _s in scores])
