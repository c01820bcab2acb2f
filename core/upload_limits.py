"""Request bodies refused past each form's limit while they come in, before anything is stored.

Django reads a multipart body as the view first touches request.POST or request.FILES (here the
CSRF check does it, before the view) and spools files over 2.5 MB to a temporary file as they
arrive: without a limit an anonymous 300 MB "attachment" was on disk before the form said no. Each
view that takes files declares its limit, ``@upload_limit(bytes)`` (the largest file the form
accepts plus room for the fields around it); every other view gets UPLOAD_DEFAULT_MAX_BYTES.

Two guards, both before the view runs:
- UploadLimitMiddleware (before CsrfViewMiddleware) refuses a body whose declared length is over the
  view's limit without reading a byte of it, and parses a multipart body itself, so a refusal below
  becomes the same page instead of a form that silently lost its file.
- UploadLimitHandler (first in FILE_UPLOAD_HANDLERS) refuses in handle_raw_input on the declared
  length (for a body parsed before the middleware ran) and counts file bytes as they stream past
  it, stopping the upload at the limit before later handlers write the next chunk anywhere: a
  server that does not bound the body by its Content-Length (ASGI, a misbehaving proxy) cannot
  get around the first guard.

The refusal is a page in Chinese with status 413 that says the limit and what to do.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict

from core.filechecks import format_size

# Room for the form fields and multipart headers around the files themselves.
FORM_OVERHEAD_BYTES = 64 * 1024

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def upload_limit(max_bytes: int) -> Callable:
    """Declare the largest request body a view accepts, in bytes (files and fields together).

    Works outside or inside other decorators (functools.wraps copies the attribute), and on admin
    views wrapped by admin_site.admin_view.
    """
    if max_bytes <= 0:
        raise ValueError("An upload limit must be a positive number of bytes.")

    def declare(view: Callable) -> Callable:
        view.upload_limit = max_bytes
        return view

    return declare


def limit_for_view(view: Callable | None) -> int:
    declared = getattr(view, "upload_limit", None)
    return declared if isinstance(declared, int) and declared > 0 else settings.UPLOAD_DEFAULT_MAX_BYTES


def request_limit(request: HttpRequest) -> int:
    """The limit of the view the request is for: set by the middleware, else from the resolved view
    (Django resolves the URL before any middleware's process_view), else the default."""
    limit = getattr(request, "upload_limit", None)
    if isinstance(limit, int):
        return limit
    match = getattr(request, "resolver_match", None)
    return limit_for_view(match.func if match is not None else None)


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0  # Django reads no body at all for a length it cannot parse


def too_large_response(request: HttpRequest, *, limit: int) -> HttpResponse:
    declared = _declared_length(request)
    return render(
        request,
        "core/upload_too_large.html",
        {
            "limit": format_size(limit),
            "declared": format_size(declared) if declared > limit else "",
            "back_url": request.path,
        },
        status=413,
    )


class UploadLimitMiddleware:
    """Refuse an oversized body before the CSRF check (or anything else) reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        limit = limit_for_view(view_func)
        request.upload_limit = limit
        if request.method not in _BODY_METHODS:
            return None
        declared = _declared_length(request)
        if declared > limit:
            return too_large_response(request, limit=limit)
        if request.content_type != "multipart/form-data":
            # A body of form fields only: Django would refuse it on reading with a bare 400 page.
            fields_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if fields_limit is not None and declared > fields_limit:
                return too_large_response(request, limit=fields_limit)
            return None
        try:
            request.POST  # noqa: B018 parse now, through UploadLimitHandler, before the CSRF check does
        except RequestDataTooBig:
            # The form's text fields together are over DATA_UPLOAD_MAX_MEMORY_SIZE. Nothing may read
            # the half-parsed body again (Django's own handler marks it the same way).
            request._mark_post_parse_error()
            return too_large_response(request, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if getattr(request, "upload_refused", False):
            return too_large_response(request, limit=limit)
        return None


class UploadLimitHandler(FileUploadHandler):
    """First of the upload handlers: stops a multipart body at the view's limit (see the module)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = (
            request_limit(self.request) if self.request is not None else settings.UPLOAD_DEFAULT_MAX_BYTES
        )
        self.received = 0
        if content_length > self.limit:
            self._refuse()
            # Handled: nothing is read, no field and no file reaches the view.
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
            # connection_reset: read no further (the default would read the rest to throw it away).
            # The parser closes the later handlers' files, which deletes a temporary file.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the file

    def _refuse(self) -> None:
        if self.request is not None:
            self.request.upload_refused = True
