"""A user's own settings: time zone, active hours and days, pause and resume."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.forms import ScheduleSettingsForm
from accounts.models import User
from accounts.services import user_schedule_pause, user_schedule_resume
from accounts.timezones import timezone_choices
from scheduling.schedule import next_fire_times
from scheduling.services import schedule_state
from workorders.selectors import upcoming_runs


@login_required
def schedule_settings(request: HttpRequest) -> HttpResponse:
    """Edit the schedule. "Preview" shows the next five runs of the edited schedule without saving;
    "Save" saves through the form (user_schedule_update); the scheduler hears of it through
    scheduling.receivers."""
    now = timezone.now()
    user = request.user
    preview = None
    if request.method == "POST":
        form = ScheduleSettingsForm(request.POST, instance=user)
        if form.is_valid():
            if request.POST.get("action") == "preview":
                # is_valid() applied the edits to the in-memory user only; nothing is saved.
                preview = upcoming_runs(
                    times=next_fire_times(user=form.instance, now=now), now=now, tz=form.instance.zone
                )
            else:
                form.save()
                messages.success(request, "Settings saved.")
                return redirect("accounts:settings")
        # The form may have changed the in-memory user; the page shows what is saved.
        user = User.objects.get(pk=user.pk)
    else:
        form = ScheduleSettingsForm(instance=user)
    state = schedule_state(user=user, now=now)
    context = {
        "form": form,
        "state": state,
        "upcoming": upcoming_runs(times=state.next_runs, now=now, tz=user.zone),
        "preview": preview,
        "zones": [name for name, _ in timezone_choices()],
        # We cannot tell "chose UTC" from "never chose": UTC is the default, so on a UTC account the
        # page offers the browser's zone (filled in, visibly, never saved without the user pressing Save).
        "suggest_browser_zone": user.timezone == "UTC" and not form.is_bound,
    }
    return render(request, "accounts/settings.html", context)


def _back(request: HttpRequest) -> str:
    # The dashboard's card has the same buttons; send people back where they pressed them.
    return "workorders:dashboard" if request.POST.get("next") == "dashboard" else "accounts:settings"


@login_required
@require_POST
def schedule_pause(request: HttpRequest) -> HttpResponse:
    user_schedule_pause(user=request.user)
    messages.success(request, "Hourly sync paused. Your work orders stay as they are.")
    return redirect(_back(request))


@login_required
@require_POST
def schedule_resume(request: HttpRequest) -> HttpResponse:
    user_schedule_resume(user=request.user)
    messages.success(request, "Hourly sync resumed.")
    return redirect(_back(request))
