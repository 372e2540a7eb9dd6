"""The credentials page: enter or replace the portal login, and test it against the portal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from credentials.forms import PortalCredentialsForm
from credentials.models import PortalAccount
from credentials.services import validate_credentials
from scheduling.services import schedule_resume_after_login_check

# What "Test connection" says, by LoginCheck code. Other codes (credentials_invalid: missing,
# unreadable or already rejected credentials) keep the service's own message, which says which.
TEST_MESSAGES = {
    "ok": "Connected: the portal accepted your login.",
    "auth_failed": "The portal rejected this password. Check it on the portal's own login page, then enter it again.",
    "portal_unavailable": "We could not reach the portal just now. Try again in a few minutes.",
    "browser_unavailable": "Our browser could not start, so the login could not be tested. Try again shortly.",
    "layout_changed": "The portal's login page looks different from what we expect; we have been told.",
}


# An error report of this page (debug page, error mail) shows the posted login as stars.
@sensitive_post_parameters("username", "password")
@login_required
def credentials_edit(request: HttpRequest) -> HttpResponse:
    account = PortalAccount.objects.filter(user=request.user).first()
    if request.method == "POST":
        form = PortalCredentialsForm(request.POST)
        if form.is_valid() and form.save(user=request.user, now=timezone.now()) is not None:
            messages.success(request, "Portal login saved. Test the connection to make sure the portal accepts it.")
            return redirect("credentials:edit")
    else:
        form = PortalCredentialsForm(initial=PortalCredentialsForm.initial_for(account))
    context = {"form": form, "account": account, "check": validate_credentials(request.user)}
    return render(request, "credentials/edit.html", context)


@login_required
@require_POST
def credentials_test(request: HttpRequest) -> HttpResponse:
    """Run only the login phase against the portal and say what happened; a passing test resumes a
    schedule that paused itself after rejected passwords."""
    # Imported here: the scraper pulls in the browser driver, which plain page views never need.
    from workorders.services import portal_test_login

    result = portal_test_login(user=request.user)
    text = TEST_MESSAGES.get(result.code) or result.message
    if result.ok:
        resumed = schedule_resume_after_login_check(user=request.user, now=timezone.now(), ok=True)
        messages.success(request, text + (" Your hourly sync has resumed." if resumed else ""))
    else:
        messages.error(request, text)
    return redirect("credentials:edit")
