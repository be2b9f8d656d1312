"""HTTP response headers that every page gets."""

# No inline scripts or styles anywhere, so the policy can be strict. JSON-LD is a data
# block, not a script, and is not affected.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(frame_ancestors: list[str]) -> str:
    """The policy with the origins that may frame the page instead of 'none' (none when the
    list is empty). Only for the embeddable list; the origins come checked from
    services/embedding.normalise_origin."""
    ancestors = " ".join(frame_ancestors) or "'none'"
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")


def _add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    # X-Frame-Options cannot name origins: a page that lets some origins frame it says so
    # in frame-ancestors only.
    if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def keep_out_of_caches(response):
    """For pages behind a login, which show personal data: no browser or proxy cache may
    store them (the back button on a shared computer, a proxy's disk)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    app.after_request(_add_security_headers)
