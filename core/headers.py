"""Response headers for every page: a Content-Security-Policy, and no caching of personal data.

The policy lets a page run only scripts and styles served from our own static files: no inline
script, no inline event handler, no style attribute, no plugin, no framing, forms only to us. A
script an attacker slips into a page (a name, a reason, a file name shown unescaped by some future
mistake) then does nothing. Pages keep their data in data- attributes or in
<script type="application/json"> (json_script), which the browser never runs. A response that
already has a policy keeps it (stored files are sent with a stricter one, core/uploads.py).

A small middleware rather than django-csp: the policy is one fixed string with no nonces and no
per-view variations, so a library would add a dependency and settings for nothing we use.

No caching: a response to a logged-in user, any admin page and any file sent for download can carry
ID numbers, phones or bank accounts; browsers and proxies must not keep a copy (a shared office PC,
the back button after logging out). Public pages (the notice, the objection form) and static files
keep their caching; the notice is cached on the server, not by this header.
"""

from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import patch_cache_control

# Django's admin writes one <style> element itself (change_list.html, for a list without actions):
# allowed by its hash, which tests/security/test_headers.py checks against the rendered page, so a
# Django upgrade that changes it is noticed.
ADMIN_CHANGELIST_STYLE_HASH = "'sha256-blvLUW3UscWqsXGByNOqdBboM+ShWAuugp2mC/wbafU='"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' {ADMIN_CHANGELIST_STYLE_HASH}",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def carries_private_data(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether a response may hold personal data or a file: the rule for no-store (module notes)."""
    if isinstance(response, FileResponse | StreamingHttpResponse) or response.has_header(
        "Content-Disposition"
    ):
        return True
    match = getattr(request, "resolver_match", None)
    if match is not None and "admin" in match.namespaces:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Content-Security-Policy"):
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        if carries_private_data(request, response):
            # no-store: no copy anywhere, whatever else the view said; private drops a "public".
            patch_cache_control(response, no_store=True, private=True)
        return response
