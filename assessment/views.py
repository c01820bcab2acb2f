"""Portal pages for score sheets (operators, assessors) and the public notice. Thin: selectors read,
services write, domain errors become messages next to the fields."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessment.forms import (
    ConflictDeclarationForm,
    EvidenceUploadForm,
    ObjectionForm,
    RectificationResponseForm,
    SheetInputsForm,
)
from assessment.models import Campaign
from assessment.scoring import input_fields
from assessment.selectors import assignment_list, evidence_list, rectification_list, sheet_get
from assessment.services.campaigns import RESULTS_PUBLIC, conflict_declare
from assessment.services.objections import notice_is_open, objection_file
from assessment.services.rectification import (
    RECTIFICATION_MOVES,
    RECTIFICATION_TRANSITIONS,
    rectification_evidence_add,
    rectification_respond,
)
from assessment.services.sheets import (
    SHEET_MOVES,
    SHEET_TRANSITIONS,
    SheetInputError,
    assessor_may_score,
    evidence_add,
    evidence_remove,
    sheet_gaps,
    sheet_onsite_save,
    sheet_onsite_submit,
    sheet_self_save,
    sheet_self_submit,
)
from assessment.sheet_view import sheet_rows
from core.permissions import Forbidden, operates
from core.uploads import stored_file_response
from core.workflow import available_moves


def _add_errors(form, exc: ValidationError) -> None:
    if isinstance(exc, SheetInputError):
        for field, message in exc.problems.items():
            form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


@login_required
def sheet_detail(request, pk):
    sheet = sheet_get(actor=request.user, pk=pk)
    moves = available_moves(sheet, request.user, table=SHEET_TRANSITIONS, moves=SHEET_MOVES)
    context = {
        "sheet": sheet,
        "rows": sheet_rows(sheet),
        "evidence": sheet.evidence.all(),
        "moves": {move.name for move in moves},
        "deadline_passed": timezone.now() > sheet.campaign.self_evaluation_due,
    }
    return render(request, "assessment/sheet_detail.html", context)


@login_required
def sheet_self_edit(request, pk):
    sheet = sheet_get(actor=request.user, pk=pk)
    if not operates(request.user, sheet.station):
        raise Http404
    fields = input_fields(sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month)
    form = SheetInputsForm(request.POST or None, fields=fields, values=sheet.self_inputs)
    upload_form = EvidenceUploadForm()
    if request.method == "POST" and form.is_valid():
        try:
            sheet_self_save(sheet=sheet, actor=request.user, raw=form.raw_inputs())
            if "submit" in request.POST:
                sheet_self_submit(sheet=sheet, actor=request.user)
                messages.success(request, "自评已提交。现场评估时，评估人员会核对您填报的数据和材料。")
                return redirect("assessment:sheet_detail", pk=sheet.pk)
            messages.success(
                request,
                "草稿已保存。" + ("" if sheet.self_total is not None else "数据填写完整后将自动计算得分。"),
            )
            return redirect("assessment:sheet_self_edit", pk=sheet.pk)
        except Forbidden as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            _add_errors(form, exc)
    return render(
        request,
        "assessment/sheet_self_form.html",
        {
            "sheet": sheet,
            "form": form,
            "upload_form": upload_form,
            "rows": sheet_rows(sheet),
            "evidence": sheet.evidence.all(),
        },
    )


def _upload(request, store) -> None:
    """Run an evidence upload form through `store(file, kind)`; the outcome becomes a message."""
    form = EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择材料类别和文件。")
        return
    try:
        evidence = store(form.cleaned_data["file"], form.cleaned_data["kind"])
    except (ValidationError, Forbidden) as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"已上传：{evidence.original_name}")


@login_required
@require_POST
def evidence_upload(request, pk):
    sheet = sheet_get(actor=request.user, pk=pk)
    _upload(
        request, lambda file, kind: evidence_add(sheet=sheet, actor=request.user, uploaded=file, kind=kind)
    )
    return redirect("assessment:sheet_self_edit", pk=sheet.pk)


@login_required
@require_POST
def evidence_delete(request, pk):
    # Only a self-evaluation's draft files can be removed; a rectification answer's files stay with it.
    evidence = get_object_or_404(evidence_list(actor=request.user).filter(sheet__isnull=False), pk=pk)
    try:
        evidence_remove(evidence=evidence, actor=request.user)
        messages.success(request, f"已删除：{evidence.original_name}")
    except (ValidationError, Forbidden) as exc:
        messages.error(request, exc.messages[0])
    return redirect("assessment:sheet_self_edit", pk=evidence.sheet_id)


@login_required
def evidence_download(request, pk):
    evidence = get_object_or_404(evidence_list(actor=request.user), pk=pk)
    return stored_file_response(
        evidence.file.name, filename=evidence.original_name, content_type=evidence.content_type
    )


@login_required
def assignment_declare(request, pk):
    entry = get_object_or_404(assignment_list(actor=request.user), pk=pk)
    form = ConflictDeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conflict_declare(
                entry=entry,
                actor=request.user,
                has_conflict=form.cleaned_data["has_conflict"],
                statement=form.cleaned_data["statement"],
            )
        except ValidationError as exc:
            form.add_error("statement", exc.messages[0])
        except Forbidden as exc:
            form.add_error(None, exc.message)
        else:
            if form.cleaned_data["has_conflict"]:
                messages.success(request, "已申报利益冲突，该站点将由人社局重新指派评估人员。")
                return redirect("portal:home")
            messages.success(request, "已声明无利益冲突，现在可以查看评分表并进行现场评估。")
            return redirect("portal:home")
    return render(request, "assessment/declare.html", {"entry": entry, "form": form})


@login_required
def sheet_onsite_edit(request, pk):
    sheet = sheet_get(actor=request.user, pk=pk)
    if not assessor_may_score(request.user, sheet):
        raise Http404
    fields = input_fields(sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month)
    values = sheet.onsite_inputs or sheet.self_inputs  # start from what the operator reported
    form = SheetInputsForm(request.POST or None, fields=fields, values=values)
    if request.method == "POST" and form.is_valid():
        reasons = {key[4:]: value for key, value in request.POST.items() if key.startswith("gap_")}
        try:
            sheet_onsite_save(
                sheet=sheet,
                actor=request.user,
                raw=form.raw_inputs(),
                gap_reasons=reasons,
                findings=request.POST.get("findings", ""),
            )
            if "submit" in request.POST:
                sheet_onsite_submit(sheet=sheet, actor=request.user)
                messages.success(request, "现场评分已提交，等待人社局综合评审。")
                return redirect("assessment:sheet_detail", pk=sheet.pk)
            messages.success(request, "现场评分草稿已保存。")
            return redirect("assessment:sheet_onsite_edit", pk=sheet.pk)
        except Forbidden as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            _add_errors(form, exc)
    gaps = sheet_gaps(sheet) if sheet.onsite_total is not None else {}
    return render(
        request,
        "assessment/sheet_onsite_form.html",
        {"sheet": sheet, "form": form, "rows": sheet_rows(sheet), "gaps": gaps, "errors": form.errors},
    )


@login_required
def rectification_detail(request, pk):
    order = get_object_or_404(rectification_list(actor=request.user), pk=pk)
    form = RectificationResponseForm(request.POST or None) if operates(request.user, order.station) else None
    moves = available_moves(order, request.user, table=RECTIFICATION_TRANSITIONS, moves=RECTIFICATION_MOVES)
    responding = any(move.name == "respond" for move in moves)
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                rectification_respond(order=order, actor=request.user, response=form.cleaned_data["response"])
            except (ValidationError, Forbidden) as exc:
                form.add_error(None, exc.messages[0])
            else:
                messages.success(request, "整改情况已提交，等待人社局核实。")
                return redirect("assessment:rectification_detail", pk=order.pk)
    return render(
        request,
        "assessment/rectification_detail.html",
        {
            "order": order,
            # A refused answer (e.g. a second one) keeps its form, to show why.
            "form": form if responding or (form is not None and form.errors) else None,
            "upload_form": EvidenceUploadForm() if responding else None,
            "evidence": order.evidence.all(),
        },
    )


@login_required
@require_POST
def rectification_evidence_upload(request, pk):
    order = get_object_or_404(rectification_list(actor=request.user), pk=pk)
    _upload(
        request,
        lambda file, kind: rectification_evidence_add(
            order=order, actor=request.user, uploaded=file, kind=kind
        ),
    )
    return redirect("assessment:rectification_detail", pk=order.pk)


def notice_detail(request, code):
    """The public notice （公示） or the published results （通报） of a campaign: no login."""
    campaign = get_object_or_404(Campaign, code=code, status__in=RESULTS_PUBLIC)
    if (
        campaign.status == Campaign.Status.NOTICE
        and campaign.notice_start
        and timezone.now() < campaign.notice_start
    ):
        raise Http404
    results = campaign.results.select_related("station__region").order_by("-score", "station__code")
    return render(
        request,
        "assessment/notice.html",
        {
            "campaign": campaign,
            "results": results,
            "in_notice": campaign.status == Campaign.Status.NOTICE,
            "objections_open": notice_is_open(campaign),
        },
    )


def _client_address(request) -> str:
    """The visitor's address for the rate limit: REMOTE_ADDR, or behind the bureau's own reverse
    proxy the header it sets (CLIENT_ADDRESS_HEADER, e.g. HTTP_X_REAL_IP). Never a header the
    visitor could set themselves when no proxy is configured."""
    from django.conf import settings

    header = settings.CLIENT_ADDRESS_HEADER
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def objection_new(request, code):
    campaign = get_object_or_404(Campaign, code=code, status=Campaign.Status.NOTICE)
    if not notice_is_open(campaign):
        return render(request, "assessment/objection_closed.html", {"campaign": campaign}, status=200)
    stations = campaign.results.values_list("station", flat=True)
    from stations.models import Station

    form = ObjectionForm(
        request.POST or None, request.FILES or None, stations=Station.objects.filter(pk__in=stations)
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data.get("website"):
            return redirect("notice:detail", code=campaign.code)  # a bot: say nothing, keep nothing
        try:
            objection_file(
                campaign=campaign,
                station=form.cleaned_data["station"],
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
                reason=form.cleaned_data["reason"],
                attachment=form.cleaned_data.get("attachment"),
                address=_client_address(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            return render(request, "assessment/objection_thanks.html", {"campaign": campaign})
    return render(request, "assessment/objection_form.html", {"campaign": campaign, "form": form})
