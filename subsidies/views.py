"""Operators' claims in the portal, and the public payee notice. Thin: selectors read, services write."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from core.filechecks import MAX_EVIDENCE_BYTES, format_size
from core.jobs import may_see_job
from core.models import Job
from core.permissions import Forbidden, may_see_personal_data, operates
from core.personal_data import PurposeForm
from core.upload_limits import FORM_OVERHEAD_BYTES, upload_limit
from core.uploads import stored_file_response
from core.workflow import available_moves
from core.xlsx import xlsx_response
from stations.selectors import operated_station_list
from subsidies import jobs as subsidy_jobs
from subsidies.exports import roster_sheets
from subsidies.forms import ClaimStartForm, MaterialForm, PayeeForm, RosterUploadForm
from subsidies.models import PayeeNotice, PlacementRoster
from subsidies.rules import MATERIALS, ROSTER_MAX_BYTES, ROSTER_REQUIREMENT
from subsidies.selectors import claim_list, claim_material_list, payee_notice_claims, roster_list
from subsidies.services import claims as claim_services
from subsidies.services import personal_data as personal_data_services
from subsidies.services import rosters as roster_services


def _error_text(exc: ValidationError | Forbidden) -> str:
    return exc.messages[0]


@login_required
def claim_index(request):
    stations = operated_station_list(actor=request.user)
    form = ClaimStartForm(request.POST or None, stations=stations)
    if request.method == "POST":
        if not stations.exists():
            raise Http404
        if form.is_valid():
            try:
                claim = claim_services.claim_create(
                    station=form.cleaned_data["station"],
                    kind=form.cleaned_data["kind"],
                    year=form.cleaned_data["year"],
                    actor=request.user,
                )
            except (ValidationError, Forbidden) as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(request, f"已创建申报，应补助 {claim.amount:,.2f} 元。请上传材料后提交。")
                return redirect("subsidies:claim_detail", pk=claim.pk)
    claims = claim_list(actor=request.user).order_by("-year", "station__code")[:100]
    return render(
        request, "subsidies/claim_index.html", {"claims": claims, "form": form if stations.exists() else None}
    )


@login_required
def claim_detail(request, pk):
    claim = get_object_or_404(claim_list(actor=request.user), pk=pk)
    return _claim_page(request, claim)


def _claim_page(request, claim, *, payee_form: PayeeForm | None = None):
    """The claim's page; `payee_form` is the account form as the operator sent it back, with its errors."""
    moves = available_moves(
        claim, request.user, table=claim_services.CLAIM_TRANSITIONS, moves=claim_services.CLAIM_MOVES
    )
    # Papers and account are kept while the claim may still be submitted, by whoever may submit it.
    editable = any(move.name == "submit" for move in moves)
    have = {}
    for material in claim.materials.all():
        have.setdefault(material.requirement, []).append(material)
    roster = PlacementRoster.objects.filter(station=claim.station, year=claim.year).first()
    roster_job = subsidy_jobs.roster_import_job_to_show(
        station=claim.station, year=claim.year, actor=request.user, roster=roster
    )
    checklist = [
        {"code": code, "label": label, "files": have.get(code, []), "roster": code == ROSTER_REQUIREMENT}
        for code, label in MATERIALS[claim.kind]
    ]
    upload_choices = [(code, label) for code, label in MATERIALS[claim.kind] if code != ROSTER_REQUIREMENT]
    return render(
        request,
        "subsidies/claim_detail.html",
        {
            "claim": claim,
            "editable": editable,
            "checklist": checklist,
            "roster": roster,
            "roster_job": roster_job,
            "missing": claim_services.missing_materials(claim),
            "payee_form": (payee_form or PayeeForm(instance=claim)) if editable else None,
            "material_form": MaterialForm(choices=upload_choices) if editable else None,
            "roster_form": RosterUploadForm() if editable and claim.kind == "performance" else None,
            "may_export_full": may_see_personal_data(request.user),
        },
    )


def _editable_claim(request, pk):
    claim = get_object_or_404(claim_list(actor=request.user), pk=pk)
    if not operates(request.user, claim.station):
        raise Http404
    return claim


@login_required
@require_POST
def claim_payee(request, pk):
    claim = _editable_claim(request, pk)
    form = PayeeForm(request.POST)
    if form.is_valid():
        try:
            claim_services.claim_payee_update(
                claim=claim,
                actor=request.user,
                name=form.cleaned_data["payee_name"],
                bank=form.cleaned_data["payee_bank"],
                account=form.cleaned_data["payee_account"],
            )
        except (ValidationError, Forbidden) as exc:
            claim.refresh_from_db()
            if isinstance(exc, Forbidden) or claim.status not in claim_services.EDITABLE:
                # No form to correct: the claim left the operator's hands meanwhile.
                messages.error(request, _error_text(exc))
                return redirect("subsidies:claim_detail", pk=claim.pk)
            form.add_error(None, exc)  # the account's own error lands on the account field
        else:
            messages.success(request, "收款账户已保存。")
            return redirect("subsidies:claim_detail", pk=claim.pk)
    # Shown again as typed, with what to correct: an operator retyping a 19-digit account from a
    # bank card on a phone should not have to type the name and bank again too.
    return _claim_page(request, claim, payee_form=form)


@upload_limit(MAX_EVIDENCE_BYTES + FORM_OVERHEAD_BYTES)
@login_required
@require_POST
def claim_material(request, pk):
    claim = _editable_claim(request, pk)
    form = MaterialForm(
        request.POST, request.FILES, choices=[(c, label) for c, label in MATERIALS[claim.kind]]
    )
    if form.is_valid():
        try:
            material = claim_services.claim_material_add(
                claim=claim,
                actor=request.user,
                requirement=form.cleaned_data["requirement"],
                uploaded=form.cleaned_data["file"],
            )
            messages.success(request, f"已上传：{material.original_name}")
        except (ValidationError, Forbidden) as exc:
            messages.error(request, _error_text(exc))
    else:
        messages.error(request, "请选择材料和文件。")
    return redirect("subsidies:claim_detail", pk=claim.pk)


@upload_limit(ROSTER_MAX_BYTES + FORM_OVERHEAD_BYTES)
@login_required
@require_POST
def claim_roster(request, pk):
    claim = _editable_claim(request, pk)
    form = RosterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择花名册文件。")
        return redirect("subsidies:claim_detail", pk=claim.pk)
    upload = form.cleaned_data["file"]
    running = subsidy_jobs.active_roster_import(station=claim.station, year=claim.year)
    if running is not None:
        # One import per roster at a time: this file would be replaced by (or replace) that one's.
        messages.error(request, "本年度花名册正在后台导入，请等它结束后再上传。")
        if may_see_job(request.user, running):
            return redirect("portal:job", job_id=running.pk)
        return redirect("subsidies:claim_detail", pk=claim.pk)
    # A large file is imported by a job the operator watches; one over the cap is refused at once
    # below (the reader checks the size before reading), never stored.
    if settings.IMPORT_INLINE_MAX_BYTES < upload.size <= ROSTER_MAX_BYTES:
        return _roster_import_job(request, claim, upload)
    try:
        roster, warnings = roster_services.roster_import(
            station=claim.station, year=claim.year, file=upload, source_name=upload.name, actor=request.user
        )
    except roster_services.RosterRefused as exc:
        messages.error(request, str(exc))
        for problem in exc.problems[:50]:
            messages.error(request, str(problem))
        if len(exc.problems) > 50:
            messages.error(request, f"另有 {len(exc.problems) - 50} 处问题未列出。")
    except Forbidden as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"花名册已导入：{roster.row_count} 人。")
        for warning in warnings[:20]:
            messages.warning(request, f"提示：{warning}（人社局将核实，不影响导入）")
    return redirect("subsidies:claim_detail", pk=claim.pk)


def _roster_import_job(request, claim, upload):
    job, created = subsidy_jobs.start_roster_import(claim=claim, actor=request.user, upload=upload)
    if not created:
        messages.error(request, "本年度花名册正在后台导入，请等它结束后再上传。")
        if not may_see_job(request.user, job):
            return redirect("subsidies:claim_detail", pk=claim.pk)
    elif job.status in Job.ACTIVE:
        messages.info(
            request,
            f"花名册文件较大（{format_size(upload.size)}），已转入后台导入。本页会自动显示进度；"
            "您也可以先离开，稍后在申报页查看结果。",
        )
    # Finished already (no broker: the job ran in this request): its page says how it went.
    return redirect("portal:job", job_id=job.pk)


@login_required
@require_POST
def claim_submit(request, pk):
    claim = _editable_claim(request, pk)
    try:
        claim_services.claim_submit(claim=claim, actor=request.user)
        messages.success(request, "申报已提交，等待人社局审核。")
    except (ValidationError, Forbidden) as exc:
        messages.error(request, _error_text(exc))
    return redirect("subsidies:claim_detail", pk=claim.pk)


@login_required
def material_download(request, pk):
    material = get_object_or_404(claim_material_list(actor=request.user), pk=pk)
    return stored_file_response(
        material.file.name, filename=material.original_name, content_type=material.content_type
    )


@login_required
def roster_template(request):
    response = HttpResponse(
        roster_services.roster_template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="placement-roster-template.xlsx"'
    return response


@login_required
def roster_export(request, pk):
    """The roster as Excel with ID numbers and phones masked: whoever sees the roster, no reason asked."""
    roster = get_object_or_404(roster_list(actor=request.user), pk=pk)
    return xlsx_response(  # streamed from a temporary file
        roster_sheets(roster, reveal=False), f"roster-{roster.station.code}-{roster.year}.xlsx"
    )


@login_required
def roster_export_full(request, pk):
    """The roster with full ID numbers and phones, for those whose work needs them, once they say why.

    The purpose page first; a valid purpose writes the access record, then the file is sent.
    """
    roster = get_object_or_404(roster_list(actor=request.user), pk=pk)
    if not may_see_personal_data(request.user):
        raise Http404
    form = PurposeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        personal_data_services.roster_access_record(
            roster=roster,
            actor=request.user,
            export=True,
            count=roster.row_count,
            purpose=form.purpose_text(),
        )
        response = xlsx_response(
            roster_sheets(roster, reveal=True), f"roster-{roster.station.code}-{roster.year}-full.xlsx"
        )
        add_never_cache_headers(response)
        return response
    claim = claim_list(actor=request.user).filter(station=roster.station, year=roster.year).first()
    return render(
        request,
        "subsidies/roster_export_full.html",
        {
            "roster": roster,
            "what": personal_data_services.roster_description(roster),
            "form": form,
            "claim": claim,
        },
    )


def payee_notice(request, pk):
    """The public list of payees during (and after) its notice period: stations and amounts, no accounts."""
    notice = get_object_or_404(PayeeNotice, pk=pk, starts_at__lte=timezone.now())
    claims = payee_notice_claims(notice)
    return render(request, "subsidies/payee_notice.html", {"notice": notice, "claims": claims})
