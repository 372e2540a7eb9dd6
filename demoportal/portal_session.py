"""The demo portal's own session: a signed cookie, independent of the Django session and users."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse

from demoportal.models import PortalUser

COOKIE_NAME = "demoportal_session"
COOKIE_PATH = "/demo-portal/"
MAX_AGE_SECONDS = 8 * 3600
_SALT = "demoportal.session"


def portal_session_user(request: HttpRequest) -> PortalUser | None:
    """The signed-in portal account, or None (no cookie, bad signature, expired, or ended)."""
    token = request.COOKIES.get(COOKIE_NAME)
    if not token:
        return None
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    account = PortalUser.objects.filter(pk=data.get("u")).first()
    if account is None or account.session_version != data.get("v"):
        return None
    return account


def portal_session_start(response: HttpResponse, account: PortalUser) -> None:
    token = signing.dumps({"u": account.pk, "v": account.session_version}, salt=_SALT)
    response.set_cookie(COOKIE_NAME, token, max_age=MAX_AGE_SECONDS, path=COOKIE_PATH, httponly=True, samesite="Lax")


def portal_session_end(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, samesite="Lax")
