"""Portal pages for score sheets (operators, assessors) and the public notice. Thin: selectors read,
services write, domain errors become messages next to the fields."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessment.annual_report_views import annual_report_card
from assessment.contract_inputs import (
    TargetFigure,
    onsite_start_values,
    sheet_bound_figures,
    sheet_bound_notes,
    sheet_target_figures,
)
from assessment.forms import (
    ConflictDeclarationForm,
    EvidenceUploadForm,
    ObjectionForm,
    RectificationResponseForm,
    SheetInputsForm,
)
from assessment.models import Campaign, RectificationOrder
from assessment.scoring import compiled_policy, input_fields
from assessment.selectors import (
    assignment_list,
    evidence_list,
    rectification_list,
    result_tier_labels,
    sheet_get,
)
from assessment.services.campaigns import RESULTS_PUBLIC, conflict_declare
from assessment.services.objections import OBJECTION_ATTACHMENT_MAX_BYTES, notice_is_open, objection_file
from assessment.services.rectification import (
    RECTIFICATION_MOVES,
    RECTIFICATION_TRANSITIONS,
    rectification_evidence_add,
    rectification_respond,
    revocation_opens_on,
)
from assessment.services.sheets import (
    SHEET_MOVES,
    SHEET_TRANSITIONS,
    SheetInputError,
    assessor_may_score,
    evidence_add,
    evidence_remove,
    input_warnings,
    onsite_refusal,
    sheet_gaps,
    sheet_onsite_save,
    sheet_onsite_submit,
    sheet_return_reason,
    sheet_self_save,
    sheet_self_submit,
)
from assessment.sheet_view import sheet_rows
from assessment.worklog_inputs import (
    log_reason_key,
    missing_log_reasons,
    sheet_log_figures,
    sheet_log_panel,
)
from core.client_address import client_address
from core.filechecks import MAX_EVIDENCE_BYTES
from core.permissions import Forbidden, operates
from core.upload_limits import FORM_OVERHEAD_BYTES, upload_limit
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
    returned_because = sheet_return_reason(sheet)
    context = {
        "sheet": sheet,
        "rows": sheet_rows(sheet),
        "log_notes": sheet_bound_notes(sheet) if sheet.onsite_total is not None else [],
        "evidence": sheet.evidence.select_related("uploaded_by"),
        "moves": {move.name for move in moves},
        "returned_because": returned_because,
        # A returned sheet may be resubmitted after the deadline (services/sheets.py says why).
        "due_passed": timezone.now() > sheet.campaign.self_evaluation_due,
        "deadline_passed": timezone.now() > sheet.campaign.self_evaluation_due and returned_because is None,
        "annual": annual_report_card(sheet),
    }
    return render(request, "assessment/sheet_detail.html", context)


@login_required
def sheet_self_edit(request, pk):
    sheet = sheet_get(actor=request.user, pk=pk)
    if not operates(request.user, sheet.station):
        raise Http404
    fields = input_fields(sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month)
    form = SheetInputsForm(
        request.POST or None,
        fields=fields,
        values=sheet.self_inputs,
        log_figures=sheet_log_figures(sheet),
        target_figures=sheet_target_figures(sheet),
        # The contract's target is not the operator's to restate: shown read-only at it (and
        # written so by sheet_self_save whatever is posted).
        targets_fixed=True,
    )
    upload_form = EvidenceUploadForm()
    if request.method == "POST" and form.is_valid():
        try:
            sheet_self_save(sheet=sheet, actor=request.user, raw=form.raw_inputs())
            if "submit" in request.POST:
                sheet_self_submit(sheet=sheet, actor=request.user)
                messages.success(request, "自评已提交。现场评估时，评估人员会核对您填报的数据和材料。")
                return redirect("assessment:sheet_detail", pk=sheet.pk)
            warnings = form.warning_texts(input_warnings(sheet, form.raw_inputs()))
            if warnings:
                # Kept as typed (a draft may be unfinished), but said now, not first at submission.
                messages.warning(
                    request,
                    f"草稿已保存，但有 {len(warnings)} 项数据超出范围，提交前请修改："
                    + "；".join(warnings.values()),
                )
            else:
                messages.success(
                    request,
                    "草稿已保存。"
                    + ("" if sheet.self_total is not None else "数据填写完整后将自动计算得分。"),
                )
            return redirect("assessment:sheet_self_edit", pk=sheet.pk)
        except Forbidden as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            _add_errors(form, exc)
    if not form.is_bound:
        # The stored draft's values out of range are marked next to their fields.
        form.warn(input_warnings(sheet, sheet.self_inputs))
    return render(
        request,
        "assessment/sheet_self_form.html",
        {
            "sheet": sheet,
            "form": form,
            "upload_form": upload_form,
            "rows": sheet_rows(sheet),
            "evidence": sheet.evidence.select_related("uploaded_by"),
            "returned_because": sheet_return_reason(sheet),
            "deadline_passed": timezone.now() > sheet.campaign.self_evaluation_due,
            "annual": annual_report_card(sheet),
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


@upload_limit(MAX_EVIDENCE_BYTES + FORM_OVERHEAD_BYTES)
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
    refusal = onsite_refusal(sheet, request.user)
    if refusal is not None:
        # Assessed, locked, a campaign no longer open or past its deadline: the sheet, and why.
        messages.warning(request, refusal)
        return redirect("assessment:sheet_detail", pk=sheet.pk)
    fields = input_fields(sheet.campaign.policy, kind=sheet.station.kind, month=sheet.month)
    # The log's totals and the contracts' targets the bound inputs are compared with.
    figures = sheet_bound_figures(sheet)
    # Start from what the operator reported, but a contract-bound count from the contract.
    values = onsite_start_values(sheet, figures)
    stored_reasons = sheet.gap_reasons or {}
    form = SheetInputsForm(
        request.POST or None,
        fields=fields,
        values=values,
        log_figures={name: f for name, f in figures.items() if not isinstance(f, TargetFigure)},
        log_reasons={name: stored_reasons.get(log_reason_key(name), "") for name in figures},
        target_figures={name: f for name, f in figures.items() if isinstance(f, TargetFigure)},
    )
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
            if missing_log_reasons(figures, form.raw_inputs(), reasons):
                # A draft keeps them; submitting asks for the reason (services/sheets.py).
                messages.warning(
                    request,
                    "现场评分草稿已保存，但有数据与工作日志记录或运营合同目标不一致，提交前请写明核实情况。",
                )
            else:
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
        {
            "sheet": sheet,
            "form": form,
            "rows": sheet_rows(sheet),
            "gaps": gaps,
            "errors": form.errors,
            "annual": annual_report_card(sheet),
            # Every logged total of the period, for items typed by hand (Yunmeng's 服务数据).
            "log_panel": sheet_log_panel(sheet),
        },
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
            "evidence": order.evidence.select_related("uploaded_by"),
            "revocation_opens": (
                revocation_opens_on(order) if order.status == RectificationOrder.Status.ISSUED else None
            ),
        },
    )


@upload_limit(MAX_EVIDENCE_BYTES + FORM_OVERHEAD_BYTES)
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


NOTICE_PAGE_SIZE = 50
# How long a rendered notice listing is kept. Its key changes whenever the campaign's state,
# notice period or results change, so this bounds only what the key does not see (a station
# renamed in the meantime).
NOTICE_CACHE_SECONDS = 600
NOTICE_ELIMINATED = "末位淘汰"


def _notice_filters(request) -> dict[str, str]:
    """The visitor's search, region, tier and page, cut to what they can mean (anything else is ignored)."""
    region = request.GET.get("region", "")
    page = request.GET.get("page", "")
    return {
        "q": request.GET.get("q", "").strip()[:50],
        # ASCII digits only: "²".isdigit() is true too, and would fail as a primary key.
        "region": region if region.isascii() and region.isdigit() and len(region) <= 12 else "",
        "tier": request.GET.get("tier", "").strip()[:32],
        "page": str(int(page)) if page.isascii() and page.isdigit() and len(page) <= 6 else "1",
    }


def _notice_cache_key(campaign, filters: dict[str, str]) -> str:
    """The same for everyone who asks for this page of this campaign with these filters, and new
    as soon as the campaign moves, its notice period is set or its results are computed again.

    Every one of those writes an audit row about the campaign in the same transaction (its
    results, a recomputation after a correction, the notice, the publication), so the newest such
    row is the results' version: one indexed look-up, where the newest result of a province's
    campaign would be a read of all its results on every request.
    """
    import hashlib

    version = "|".join(
        str(part)
        for part in (
            campaign.status,
            campaign.notice_start and campaign.notice_start.timestamp(),
            campaign.notice_end and campaign.notice_end.timestamp(),
            campaign.history_version,
            *(filters[name] for name in ("q", "region", "tier", "page")),
        )
    )
    return f"notice:{campaign.pk}:{hashlib.sha256(version.encode()).hexdigest()[:32]}"


def _notice_listing(campaign, filters: dict[str, str]) -> tuple[str, bool]:
    """The search form, one page of results and the pager, as HTML: what every visitor sees alike.

    With whether it may be cached: only pages without a search and with a region, tier and page
    that exist, so that a visitor inventing searches or page numbers cannot fill the cache.
    """
    from urllib.parse import urlencode

    from django.core.paginator import Paginator
    from django.db.models import Q
    from django.template.loader import render_to_string

    from stations.models import Region

    results = campaign.results.select_related("station__region").order_by("-score", "station__code")
    campaign.region = Region.objects.get(pk=campaign.region_id)
    # The regions to filter by: the campaign region's children, and their children too while
    # the list stays short (a province's cities and counties; a county's townships).
    top = campaign.region
    nearby = list(
        Region.objects.filter(path__startswith=top.path, level__in=[top.level + 1, top.level + 2])
        .exclude(level=Region.Level.COMMUNITY)
        .order_by("path")[:201]
    )
    if len(nearby) > 200:
        nearby = [region for region in nearby if region.level == top.level + 1]
    region_choices = [(str(r.pk), ("\u3000" if r.level > top.level + 1 else "") + r.name) for r in nearby]
    # In the policy's own order (五星 down to 未评定星级), as the clerk's lists show them.
    tiers = result_tier_labels(campaign.results.all())
    if campaign.results.filter(eliminated=True).exists():
        tiers.append(NOTICE_ELIMINATED)

    if filters["q"]:
        q = filters["q"]
        results = results.filter(Q(station__code__iexact=q) | Q(station__name__contains=q))
    cacheable = not filters["q"] and (not filters["tier"] or filters["tier"] in tiers)
    if filters["region"]:
        chosen = Region.objects.filter(pk=filters["region"], path__startswith=top.path).first()
        results = results.filter(station__region__path__startswith=chosen.path) if chosen else results.none()
        cacheable = cacheable and chosen is not None
    if filters["tier"] == NOTICE_ELIMINATED:
        results = results.filter(eliminated=True)
    elif filters["tier"]:
        results = results.filter(tier_label=filters["tier"])

    page = Paginator(results, NOTICE_PAGE_SIZE).get_page(filters["page"])
    cacheable = cacheable and str(page.number) == filters["page"]
    kept = {name: filters[name] for name in ("q", "region", "tier") if filters[name]}

    def page_link(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    html = render_to_string(
        "assessment/_notice_list.html",
        {
            "campaign": campaign,
            "page": page,
            "filters": filters,
            "filtered": bool(kept),
            "region_choices": region_choices,
            "tiers": tiers,
            # A rating that pays nothing shows no money column: a column of 0.00 reads as money withheld.
            "pays_money": not compiled_policy(campaign.policy)[0].subsidy_schedule.pays_nothing,
            "in_notice": campaign.status == Campaign.Status.NOTICE,
            "previous_link": page_link(page.previous_page_number()) if page.has_previous() else "",
            "next_link": page_link(page.next_page_number()) if page.has_next() else "",
            "first_link": page_link(1),
            "last_link": page_link(page.paginator.num_pages),
        },
    )
    return html, cacheable


def notice_detail(request, code):
    """The public notice （公示） or the published results （通报） of a campaign: no login.

    Paged (50 a page), searched by a station's code or name and filtered by region and tier. The
    listing is the same for every visitor, so it is rendered once per page and filters and kept in
    the cache under a key that changes with the campaign's state and results; a request then costs
    one query (the campaign with its newest history row). The frame around the listing (who is
    logged in, whether objections are open right now) is rendered per request, except for a
    visitor with no cookie at all (no session, no messages), who is served the whole cached page.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache
    from django.db.models import CharField, OuterRef, Subquery
    from django.db.models.functions import Cast
    from django.http import HttpResponse
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from core.models import AuditEntry

    history = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Campaign),
        object_id=Cast(OuterRef("pk"), CharField()),
    ).order_by("-id")
    campaign = get_object_or_404(
        Campaign.objects.annotate(history_version=Subquery(history.values("id")[:1])),
        code=code,
        status__in=RESULTS_PUBLIC,
    )
    if (
        campaign.status == Campaign.Status.NOTICE
        and campaign.notice_start
        and timezone.now() < campaign.notice_start
    ):
        raise Http404
    filters = _notice_filters(request)
    key = _notice_cache_key(campaign, filters)
    objections_open = notice_is_open(campaign)
    whole_page = not request.COOKIES  # nobody logged in, no message waiting: the same page for all
    page_key = f"{key}:page:{objections_open}"
    if whole_page and (page := cache.get(page_key)) is not None:
        return HttpResponse(page)
    listing = cache.get(key)
    cacheable = listing is not None
    if listing is None:
        listing, cacheable = _notice_listing(campaign, filters)
        if cacheable:
            cache.set(key, listing, NOTICE_CACHE_SECONDS)
    context = {
        "campaign": campaign,
        "listing": mark_safe(listing),  # noqa: S308 rendered by our own template, autoescaped
        "in_notice": campaign.status == Campaign.Status.NOTICE,
        "objections_open": objections_open,
    }
    if whole_page and cacheable:
        page = render_to_string("assessment/notice.html", context, request=request)
        cache.set(page_key, page, NOTICE_CACHE_SECONDS)
        return HttpResponse(page)
    return render(request, "assessment/notice.html", context)


OBJECTION_SEARCH_LIMIT = 20


@upload_limit(OBJECTION_ATTACHMENT_MAX_BYTES + FORM_OVERHEAD_BYTES)
def objection_new(request, code):
    """The objection form. The unit is named by its code, found with a search over the campaign's
    list (a notice may hold tens of thousands of units: no drop-down of them all)."""
    from django.db.models import Q

    from stations.models import Station

    campaign = get_object_or_404(Campaign, code=code, status=Campaign.Status.NOTICE)
    if not notice_is_open(campaign):
        return render(request, "assessment/objection_closed.html", {"campaign": campaign}, status=200)
    listed = Station.objects.filter(campaign_results__campaign=campaign)
    query = request.GET.get("q", "").strip()[:50]
    found = None
    if query:
        found = list(
            listed.filter(Q(code__iexact=query) | Q(name__contains=query))
            .order_by("code")
            .values("code", "name")[: OBJECTION_SEARCH_LIMIT + 1]
        )
    initial = {"station": request.GET.get("station", "").strip()[:32]}
    form = ObjectionForm(request.POST or None, request.FILES or None, stations=listed, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data.get("website"):
            return redirect("notice:detail", code=campaign.code)  # a bot: say nothing, keep nothing
        try:
            objection = objection_file(
                campaign=campaign,
                station=form.cleaned_data["station"],
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
                reason=form.cleaned_data["reason"],
                attachment=form.cleaned_data.get("attachment"),
                address=client_address(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            return render(
                request, "assessment/objection_thanks.html", {"campaign": campaign, "objection": objection}
            )
    return render(
        request,
        "assessment/objection_form.html",
        {
            "campaign": campaign,
            "form": form,
            "query": query,
            "found": found[:OBJECTION_SEARCH_LIMIT] if found else found,
            "more": found is not None and len(found) > OBJECTION_SEARCH_LIMIT,
            "limit": OBJECTION_SEARCH_LIMIT,
        },
    )
