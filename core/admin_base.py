"""The admin's site and the base class that scopes every admin page by the acting user.

Bureau staff change things; auditors see the same pages read-only; nobody else enters the admin.
Querysets, dropdowns, autocompletes and filter choices all come from the selectors, and an
object outside the user's reach answers 404 instead of the admin's usual redirect, so its
existence is not revealed.
"""

import json
from collections.abc import Mapping, Sequence

from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.utils import unquote
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from core.jobs import JobStarted, may_see_job
from core.permissions import Forbidden, may_change_in_admin, may_use_admin
from core.scoping import scoped_queryset
from core.upload_limits import upload_limit
from core.workflow import Move, available_moves, move_named, record_audit

BOOLEAN_TEXT = {True: "是", False: "否", None: "未知"}

# Fields of a change form that only ask something of the person changing the row.
VIEWER_HIDDEN_FIELDS = {"change_reason"}


def _boolean_icon(value):
    """Django's yes/no icon of a boolean in lists and read-only fields, with its text in Chinese:
    Django writes the value itself (alt="True"), which a screen reader reads out in English."""
    icon = {True: "yes", False: "no", None: "unknown"}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), BOOLEAN_TEXT[value])


# Every caller (the change list, read-only fields, display_for_value) looks it up in this module.
admin_list._boolean_icon = _boolean_icon


class BureauAdminSite(admin.AdminSite):
    site_header = "公共就业服务站点考核管理"
    site_title = "站点考核"
    index_title = "考核与补助管理"

    def has_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def get_app_list(self, request, app_label=None):
        """The apps, and after them 账号安全: the login locks page (core/login_lock_views.py),
        which is a page of its own, not a model's list, so Django would not list it."""
        app_list = super().get_app_list(request, app_label)
        if app_label is None:
            from django.urls import reverse

            # First: the desk (工作台, desk/views.py), what waits and the campaign's picture.
            desk = {
                "name": "待办事项与考核概况",
                "object_name": "Desk",
                "admin_url": reverse("desk:index"),
                "add_url": None,
            }
            app_list.insert(
                0,
                {
                    "name": "工作台",
                    "app_label": "desk",
                    "app_url": reverse("desk:index"),
                    "has_module_perms": True,
                    "models": [{**desk, "view_only": True, "perms": {"view": True}}],
                },
            )
            app_list.append(
                {
                    "name": "账号安全",
                    "app_label": "account_security",
                    "app_url": reverse("login_locks"),
                    "has_module_perms": True,
                    "models": [
                        {
                            "name": "登录锁定与两步验证",
                            "object_name": "LoginLock",
                            "admin_url": reverse("login_locks"),
                            "add_url": None,
                            "view_only": True,
                            "perms": {"view": True},
                        }
                    ],
                }
            )
        return app_list


class EstimatedCountPaginator(Paginator):
    """A changelist's paginator whose count does not read a province's table row by row.

    The rows are counted exactly up to `exact_up_to` (a COUNT over a LIMIT, so it stops early).
    Beyond that, on PostgreSQL, the count is the planner's estimate: the table's `reltuples`
    from pg_class for an unfiltered list, the plan's row estimate for a filtered one. A clerk
    paging through 50 rows at a time needs the order of magnitude, not the last digit; the
    estimate is flagged (`estimated`) so the page can say "约". Elsewhere (SQLite, a county's
    own database) the exact count is kept.
    """

    exact_up_to = 10_000

    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return super().count
        bounded = queryset.order_by()[: self.exact_up_to + 1].count()
        if bounded <= self.exact_up_to:
            return bounded
        estimate = _estimated_rows(queryset)
        if estimate is None:
            return super().count
        self.estimated = True
        return max(estimate, bounded)


def _estimated_rows(queryset: QuerySet) -> int | None:
    """PostgreSQL's own estimate of the rows `queryset` returns, or None when it has none."""
    connection = connections[queryset.db]
    query = queryset.query
    with connection.cursor() as cursor:
        if not query.where and not query.distinct and not query.combinator:
            # Unfiltered: the statistics ANALYZE (or autovacuum) keeps of the table.
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
            if row and row[0] is not None and row[0] >= 0:
                return int(row[0])
        sql, params = queryset.order_by().query.sql_with_params()
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (LookupError, TypeError, ValueError):
        return None


def _record_deletion(obj, *, actor) -> None:
    """A superuser's deletion in the admin leaves its row in the history, in the same transaction:
    the object is gone, what it was and who removed it are not."""
    record_audit(
        target=obj,
        actor=actor,
        action="admin.delete",
        reason="系统管理员在管理后台删除。",
        changes={"对象": f"{obj._meta.verbose_name}：{obj}"},
        region=getattr(obj, "region", None),
    )


class ScopedAdmin(admin.ModelAdmin):
    """Base for every ModelAdmin: rows, choices and permissions follow the acting user."""

    list_per_page = 50
    show_full_result_count = False  # a second COUNT(*) over a province is not worth it
    paginator = EstimatedCountPaginator

    def get_queryset(self, request):
        qs = scoped_queryset(self.model, actor=request.user)
        if isinstance(self.list_select_related, list | tuple):
            # The changelist adds list_select_related only to a queryset with no select_related
            # of its own, and the selectors have theirs: without this, a row per query.
            qs = qs.select_related(*self.list_select_related)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def has_module_permission(self, request):
        return may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request.user)

    def has_add_permission(self, request):
        return may_change_in_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return may_change_in_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        # Records of public money and assessments are corrected or revoked, not deleted.
        return request.user.is_superuser

    def get_fieldsets(self, request, obj=None):
        """A read-only view (an auditor's) has no form to ask a reason on: the change form's reason
        field would stand there empty, under Django's English name for it ("Change reason: None")."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        kept = []
        for name, options in fieldsets:
            fields = [f for f in options.get("fields", ()) if f not in VIEWER_HIDDEN_FIELDS]
            if fields:
                kept.append((name, {**options, "fields": fields}))
        return kept

    def delete_model(self, request, obj):
        with transaction.atomic():
            _record_deletion(obj, actor=request.user)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                _record_deletion(obj, actor=request.user)
            super().delete_queryset(request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self._choices(db_field, request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self._choices(db_field, request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _choices(self, db_field, request):
        qs = scoped_queryset(db_field.related_model, actor=request.user)
        limit = db_field.get_limit_choices_to()
        return qs.complex_filter(limit) if limit else qs

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404("没有这条记录，或您无权查看。")

    def delete_view(self, request, object_id, extra_context=None):
        # Django checks the delete permission before the object's existence; out of reach is 404 first.
        if self.get_object(request, unquote(object_id)) is None:
            self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().delete_view(request, object_id, extra_context)


class ReadOnlyScopedAdmin(ScopedAdmin):
    """A record nobody adds, edits or deletes in the admin (a superuser neither): history, jobs,
    mail, payouts. What changes them is a service; the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedInline(admin.TabularInline):
    extra = 0

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return may_change_in_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return may_change_in_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return may_change_in_admin(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", scoped_queryset(db_field.related_model, actor=request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ObjectActionMixin:
    """One admin page per workflow move: a small form, a service call, the clerk's message.

    `transitions` and `moves` are the workflow's table and its named moves (`core.workflow.Move`);
    `object_actions` maps a move's name to (form class, perform(obj, data, user) -> message), where
    the message may be a `JobStarted` (long work queued as a job: the page opens the job's). The
    page shows a move's button exactly when `available_moves` offers it to the person looking.
    Out-of-reach objects answer 404, people who may not change answer 403, and a domain error
    (ValidationError, InvalidTransition, Forbidden) is shown on the form.
    """

    transitions: Mapping[str, set[str]] = {}
    moves: Sequence[Move] = ()
    object_actions: dict = {}

    def get_urls(self):
        unknown = set(self.object_actions) - {move.name for move in self.moves}
        if unknown:
            raise ImproperlyConfigured(f"{type(self).__name__}: no move named {', '.join(sorted(unknown))}.")
        info = self.model._meta.app_label, self.model._meta.model_name
        urls = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(self._action_view(name)),
                name=f"{info[0]}_{info[1]}_{name}",
            )
            for name in self.object_actions
        ]
        return urls + super().get_urls()

    def get_object(self, request, object_id, from_field=None):
        # The page's read-only fields (where the buttons are) are not given the request; the admin
        # instance is shared between requests, the object is not, so it carries who is looking.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.viewer = request.user
        return obj

    def open_moves(self, obj, actor) -> list[Move]:
        """The moves with a page here that `actor` may make on `obj` now."""
        return [
            move
            for move in available_moves(obj, actor, table=self.transitions, moves=self.moves)
            if move.name in self.object_actions
        ]

    def move_buttons(self, obj, *, empty: str = "—") -> str:
        """A button for each open move, for the person looking at the page (`empty` when none is open)."""
        viewer = getattr(obj, "viewer", None)
        if obj is None or obj.pk is None or viewer is None:
            return ""
        opts = self.model._meta
        links = [
            (reverse(f"admin:{opts.app_label}_{opts.model_name}_{move.name}", args=[obj.pk]), move.label)
            for move in self.open_moves(obj, viewer)
        ]
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', links) if links else empty

    def _action_view(self, suffix):
        def view(request, object_id):
            from django.contrib import messages
            from django.core.exceptions import PermissionDenied, ValidationError
            from django.http import HttpResponseRedirect
            from django.template.response import TemplateResponse

            obj = self.get_object(request, unquote(object_id))
            if obj is None:
                self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
            if not may_change_in_admin(request.user):
                raise PermissionDenied
            move = move_named(self.moves, suffix)
            form_class, perform = self.object_actions[suffix]
            form = form_class(request.POST or None, request.FILES or None, obj=obj)
            if hasattr(form, "limit_to"):
                form.limit_to(request.user)  # choices the acting user may reach (e.g. funds)
            if request.method == "POST" and form.is_valid():
                try:
                    message = perform(obj, form.cleaned_data, request.user)
                except ValidationError as exc:  # InvalidTransition is one too
                    obj.refresh_from_db()  # the refused move rolled back: show the row as it is
                    for text in exc.messages:
                        form.add_error(None, text)
                except Forbidden as exc:
                    obj.refresh_from_db()
                    form.add_error(None, exc.message)
                else:
                    if isinstance(message, JobStarted):
                        # Long work went to a job: the clerk follows it on the job's page, unless it
                        # is a colleague's job under way (its page is theirs): then the clerk is told.
                        if may_see_job(request.user, message.job):
                            self.message_user(request, message.text, messages.SUCCESS)
                            return HttpResponseRedirect(
                                reverse("admin:core_job_change", args=[message.job.pk])
                            )
                        self.message_user(request, message.colleagues_text, messages.WARNING)
                        opts = self.model._meta
                        return HttpResponseRedirect(
                            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
                        )
                    self.message_user(request, message, messages.SUCCESS)
                    opts = self.model._meta
                    return HttpResponseRedirect(
                        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
                    )
            context = {
                **self.admin_site.each_context(request),
                "title": f"{move.label}：{obj}",
                "object": obj,
                "form": form,
                "opts": self.opts,
                "allowed": move in self.open_moves(obj, request.user),
                "intro": getattr(form, "intro", ""),
            }
            return TemplateResponse(request, "admin/object_action.html", context)

        # A form that takes a file says how large a request it accepts (core/upload_limits.py);
        # every other action gets the default.
        limit = getattr(self.object_actions[suffix][0], "upload_limit", None)
        return upload_limit(limit)(view) if limit else view


class PersonalFieldInFullMixin:
    """A change page showing one personal field whole to those whose job needs it, masked to others.

    The objection's contact (the bureau answers the objector) and the applicant's phone (the county
    arranges the on-site check) work alike: `masked_field` is in `fields`; for a viewer
    `may_see_in_full` admits, it is swapped for `full_field`, and opening the change page (GET only,
    not its action pages) calls `record_look`, which writes the audit row and returns the value
    seen, kept on the object as `seen_in_full` for the display method to show.
    """

    masked_field = ""
    full_field = ""

    def may_see_in_full(self, user, obj) -> bool:
        raise NotImplementedError

    def record_look(self, obj, user) -> str:
        raise NotImplementedError

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and self.may_see_in_full(request.user, obj):
            fields[fields.index(self.masked_field)] = self.full_field
        return fields

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        change_page = f"{self.opts.app_label}_{self.opts.model_name}_change"
        if (
            obj is not None
            and request.method == "GET"
            and request.resolver_match is not None
            and request.resolver_match.url_name == change_page
            and self.may_see_in_full(request.user, obj)
        ):
            obj.seen_in_full = self.record_look(obj, request.user)
        return obj


class ReferenceSearchMixin:
    """Searching by a reference number (YY-2026-000123, RD-2026-000012-K7QX) finds that one row;
    the model's `reference_pk` reads the number, anything else searches as usual."""

    def get_search_results(self, request, queryset, search_term):
        pk = self.model.reference_pk(search_term)
        if pk is not None:
            return queryset.filter(pk=pk), False
        return super().get_search_results(request, queryset, search_term)
