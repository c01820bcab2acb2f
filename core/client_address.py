"""The visitor's address, for rate limits and the login lock: never one the visitor can choose.

Behind TRUSTED_PROXY_COUNT reverse proxies (nginx on the same machine: 1), each proxy appends the
address it saw to X-Forwarded-For and the last one connects to us. The chain, oldest first, is the
header's entries and then REMOTE_ADDR; the last TRUSTED_PROXY_COUNT hops are our own proxies, so
the visitor is the rightmost entry before them. Whatever a visitor writes into the header lands to
the left of that entry and is never read. With no proxy configured (0) the header is ignored.
"""

from django.conf import settings


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [hop.strip() for hop in forwarded.split(",") if hop.strip()] + [remote]
    # A chain shorter than the proxies we expect means a proxy did not add its hop (misconfigured):
    # the oldest hop we have is the best guess, and it still came from a proxy, not the visitor.
    return chain[max(0, len(chain) - 1 - trusted)]
