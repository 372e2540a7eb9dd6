"""The REST API: one class per endpoint, nested input/output serializers, services do the writes.

Every endpoint answers only about ``request.user``; another user's object is a 404, never a 403
(that would confirm it exists). A URL that is read and also written (schedule, credentials) keeps
both methods on one class: the HackSoft split into ``…/update/`` URLs would cost a REST-shaped
API for no gain. Error shapes are documented in docs/api.md.
"""

from __future__ import annotations

import base64
import logging

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import WEEKDAYS, User
from accounts.services import user_schedule_update
from credentials.models import PortalAccount
from credentials.services import CredentialsError, credentials_clear, credentials_store, validate_credentials
from scheduling.consumers import schedule_summary
from scheduling.display import format_next_run, format_next_run_with_zone
from scheduling.models import Phase, RunStatus, ScrapeRun, Trigger
from scheduling.progress import run_progress_publish
from scheduling.services import SyncRefused, run_sync_now, schedule_resume_after_login_check, schedule_state
from workorders.api.pagination import paginated_response
from workorders.models import WorkOrder
from workorders.portals.registry import portal_choices
from workorders.selectors import WORK_ORDER_ORDERINGS, scrape_run_get, scrape_run_list, work_order_get, work_order_list

logger = logging.getLogger(__name__)

ERROR_SCHEMA = inline_serializer(
    name="Error", fields={"detail": serializers.CharField(), "code": serializers.CharField(required=False)}
)


def field_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    """A model/service ValidationError as DRF field errors (a 400 with ``{"field": ["message"]}``)."""
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError({"non_field_errors": exc.messages})


# --- Authentication ---------------------------------------------------------------------------


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class AuthTokenObtainApi(APIView):
    """Exchange a username and password for the user's API token (``Authorization: Token <key>``)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "auth-token"

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request._request, **serializer.validated_data)
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to log in with the username and password given."]}, code="authorization"
            )
        token, created = Token.objects.get_or_create(user=user)
        logger.info("api token issued user_id=%s new=%s", user.pk, created)
        return Response(self.OutputSerializer({"token": token.key}).data)


# --- Work orders ------------------------------------------------------------------------------


class WorkOrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()
    site = serializers.CharField()
    trade = serializers.CharField()
    scheduled_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    nte_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    portal_updated_at = serializers.DateTimeField(allow_null=True)
    first_seen_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    delisted_at = serializers.DateTimeField(allow_null=True, help_text="Set when no longer listed on the portal.")
    is_listed = serializers.BooleanField()


class WorkOrderListApi(APIView):
    """The user's work orders, filtered like the work orders page, newest on the portal first."""

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True, max_length=200)
        status = serializers.CharField(required=False, allow_blank=True, max_length=100)
        priority = serializers.CharField(required=False, allow_blank=True, max_length=100)
        site = serializers.CharField(required=False, allow_blank=True, max_length=300)
        listed = serializers.BooleanField(
            required=False, allow_null=True, default=None, help_text="true: still listed; false: no longer listed."
        )
        ordering = serializers.ChoiceField(choices=sorted(WORK_ORDER_ORDERINGS), required=False)

    class OutputSerializer(WorkOrderOutputSerializer):
        pass

    @extend_schema(parameters=[FilterSerializer], responses={200: OutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        # A plain dict: on a QueryDict DRF reads a missing boolean as False (HTML checkbox rules).
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        queryset = work_order_list(user=request.user, **filters.validated_data)
        return paginated_response(queryset=queryset, serializer_class=self.OutputSerializer, request=request, view=self)


class WorkOrderDetailApi(APIView):
    class OutputSerializer(WorkOrderOutputSerializer):
        description = serializers.CharField()

    @extend_schema(responses={200: OutputSerializer, 404: ERROR_SCHEMA})
    def get(self, request: Request, work_order_id: int) -> Response:
        try:
            work_order = work_order_get(user=request.user, pk=work_order_id)
        except WorkOrder.DoesNotExist as exc:
            raise NotFound from exc
        return Response(self.OutputSerializer(work_order).data)


# --- Runs -------------------------------------------------------------------------------------


class RunCountsSerializer(serializers.Serializer):
    found = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    delisted = serializers.IntegerField()
    failed = serializers.IntegerField()


class RunOutputSerializer(serializers.Serializer):
    """A run exactly as the websocket pushes it (``ScrapeRun.as_event``): the fields are declared
    for the schema, the values come from the model so the API and the socket cannot drift."""

    id = serializers.IntegerField()
    trigger = serializers.ChoiceField(choices=Trigger.choices)
    scheduled_for = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=RunStatus.choices)
    phase = serializers.ChoiceField(choices=Phase.choices)
    phase_label = serializers.CharField()
    page = serializers.IntegerField()
    page_count = serializers.IntegerField(allow_null=True)
    rows_found = serializers.IntegerField()
    counts = RunCountsSerializer()
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    error_code = serializers.CharField()
    error_message = serializers.CharField()

    def to_representation(self, instance: ScrapeRun) -> dict:
        return instance.as_event()


class RunListApi(APIView):
    """The user's runs, newest first."""

    class OutputSerializer(RunOutputSerializer):
        pass

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=scrape_run_list(user=request.user),
            serializer_class=self.OutputSerializer,
            request=request,
            view=self,
        )


class RunDetailApi(APIView):
    """One of the user's runs. Staff also get the operator forensics of a failed run."""

    class OutputSerializer(RunOutputSerializer):
        pass

    class ForensicsSerializer(serializers.Serializer):
        error_url = serializers.CharField()
        error_html = serializers.CharField()
        error_screenshot_png_base64 = serializers.CharField(allow_null=True)

    @extend_schema(
        responses={
            200: inline_serializer(
                name="RunDetail",
                fields={
                    **RunOutputSerializer().get_fields(),
                    "forensics": ForensicsSerializer(required=False, help_text="Staff only."),
                },
            ),
            404: ERROR_SCHEMA,
        }
    )
    def get(self, request: Request, run_id: int) -> Response:
        try:
            run = scrape_run_get(user=request.user, pk=run_id, forensics=request.user.is_staff)
        except ScrapeRun.DoesNotExist as exc:
            raise NotFound from exc
        data = self.OutputSerializer(run).data
        if request.user.is_staff:
            screenshot = bytes(run.error_screenshot) if run.error_screenshot else None
            data["forensics"] = self.ForensicsSerializer(
                {
                    "error_url": run.error_url,
                    "error_html": run.error_html,
                    "error_screenshot_png_base64": base64.b64encode(screenshot).decode() if screenshot else None,
                }
            ).data
        return Response(data)


class RunSyncNowApi(APIView):
    """Start a sync now. 202 with the queued run; 409 with a stable ``code`` when it cannot start."""

    class OutputSerializer(RunOutputSerializer):
        pass

    @extend_schema(
        request=None,
        responses={
            202: OutputSerializer,
            409: OpenApiResponse(ERROR_SCHEMA, description="code: run_in_progress or credentials_invalid"),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            run = run_sync_now(user=request.user, now=timezone.now())
        except SyncRefused as exc:
            return Response({"code": exc.code, "detail": exc.message}, status=status.HTTP_409_CONFLICT)
        # Other open pages of the user show the queued run at once; the scheduler publishes the rest.
        run_progress_publish(run, force=True)
        return Response(self.OutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


# --- Schedule ---------------------------------------------------------------------------------


class ScheduleDetailApi(APIView):
    """The user's hourly schedule: read it (with its state and next run), or change it (PATCH)."""

    class InputSerializer(serializers.Serializer):
        timezone = serializers.CharField(required=False, max_length=64, help_text="IANA name, e.g. America/New_York.")
        schedule_enabled = serializers.BooleanField(required=False, help_text="false pauses the hourly sync.")
        active_from_hour = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=23)
        active_until_hour = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=23)
        active_weekdays = serializers.ListField(
            child=serializers.ChoiceField(choices=WEEKDAYS),
            required=False,
            allow_empty=True,
            help_text="Empty list: every day.",
        )

        def validate_active_weekdays(self, value: list[str]) -> str:
            chosen = set(value)
            # Every day is the same schedule as none: store the canonical "" (as the settings form does).
            return "" if chosen == set(WEEKDAYS) else ",".join(day for day in WEEKDAYS if day in chosen)

    class OutputSerializer(serializers.Serializer):
        timezone = serializers.CharField()
        schedule_enabled = serializers.BooleanField()
        active_from_hour = serializers.IntegerField(allow_null=True)
        active_until_hour = serializers.IntegerField(allow_null=True)
        active_weekdays = serializers.ListField(child=serializers.CharField(), source="weekday_list")
        state = serializers.ChoiceField(choices=["active", "paused", "auto_paused", "needs_credentials"])
        reason = serializers.CharField()
        next_run = serializers.DateTimeField(allow_null=True)
        next_run_text = serializers.CharField(help_text='e.g. "Today at 2:00 PM", in the user\'s zone.')
        zone = serializers.CharField()

    def _output(self, user: User) -> dict:
        settings = {
            "timezone": user.timezone,
            "schedule_enabled": user.schedule_enabled,
            "active_from_hour": user.active_from_hour,
            "active_until_hour": user.active_until_hour,
            "weekday_list": user.weekday_list,
        }
        return self.OutputSerializer(settings | schedule_summary(user=user, now=timezone.now())).data

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(self._output(request.user))

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def patch(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            user_schedule_update(user=request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            raise field_errors(exc) from exc
        return Response(self._output(request.user))


class ScheduleNextRunsApi(APIView):
    """The next five hourly runs (empty unless the schedule is active), as instants and in words."""

    class OutputSerializer(serializers.Serializer):
        class NextRunSerializer(serializers.Serializer):
            at = serializers.DateTimeField()
            text = serializers.CharField(help_text='"Today at 2:00 PM", "Tomorrow at 9:00 AM", "Dec 3 at 9:00 AM"')
            text_with_zone = serializers.CharField(help_text='"Today at 2:00 PM EST"')

        state = serializers.CharField()
        reason = serializers.CharField()
        zone = serializers.CharField()
        next_runs = NextRunSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        user, now = request.user, timezone.now()
        state = schedule_state(user=user, now=now)
        return Response(
            self.OutputSerializer(
                {
                    "state": state.state,
                    "reason": state.reason,
                    "zone": state.zone_name,
                    "next_runs": [
                        {
                            "at": when,
                            "text": format_next_run(when, now=now, tz=user.zone),
                            "text_with_zone": format_next_run_with_zone(when, now=now, tz=user.zone),
                        }
                        for when in state.next_runs
                    ],
                }
            ).data
        )


# --- Credentials ------------------------------------------------------------------------------

# Which input field a credentials_store refusal belongs to.
CREDENTIAL_ERROR_FIELDS = {"unknown_portal": "portal", "empty_username": "username", "empty_password": "password"}


@method_decorator(sensitive_post_parameters("username", "password"), name="dispatch")
class CredentialsDetailApi(APIView):
    """The user's portal login. Write-only: the username and password are never returned, in any
    form; a read tells only which portal, since when a password is set, and whether it works."""

    class InputSerializer(serializers.Serializer):
        portal = serializers.ChoiceField(choices=portal_choices())
        base_url = serializers.URLField(max_length=500)
        username = serializers.CharField(max_length=200, write_only=True)
        password = serializers.CharField(
            max_length=500, write_only=True, trim_whitespace=False, style={"input_type": "password"}
        )

    class OutputSerializer(serializers.Serializer):
        class CheckSerializer(serializers.Serializer):
            ok = serializers.BooleanField()
            code = serializers.CharField()
            message = serializers.CharField()

        portal = serializers.CharField()
        base_url = serializers.CharField()
        password_set_at = serializers.DateTimeField(allow_null=True)
        status = serializers.CharField(
            help_text="What the portal last said: unchecked, ok, undecryptable, auth_failed."
        )
        status_message = serializers.CharField()
        checked_at = serializers.DateTimeField(allow_null=True)
        check = CheckSerializer(help_text="Whether the saved login can be used now (the sync pre-flight).")

    def _output(self, user: User) -> dict:
        account = PortalAccount.objects.filter(user=user).first()
        if account is None:
            raise NotFound("No portal login is saved yet.")
        check = validate_credentials(user)
        return self.OutputSerializer(
            {
                "portal": account.portal,
                "base_url": account.base_url,
                "password_set_at": account.password_set_at,
                "status": account.status,
                "status_message": account.status_message,
                "checked_at": account.checked_at,
                "check": {"ok": check.ok, "code": check.code, "message": check.message},
            }
        ).data

    @extend_schema(responses={200: OutputSerializer, 404: ERROR_SCHEMA})
    def get(self, request: Request) -> Response:
        return Response(self._output(request.user))

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def put(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            credentials_store(user=request.user, now=timezone.now(), **serializer.validated_data)
        except CredentialsError as exc:
            field = CREDENTIAL_ERROR_FIELDS.get(exc.code, "non_field_errors")
            raise serializers.ValidationError({field: [str(exc)]}, code=exc.code) from exc
        return Response(self._output(request.user))

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        return self.put(request)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        credentials_clear(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CredentialsTestApi(APIView):
    """Log in to the portal with the saved login (only the login phase; takes a few seconds) and
    record what the portal said. A passing test resumes a schedule that paused itself after
    rejected passwords. A refusal is a result, not an error: 200 with ``ok: false`` and a code."""

    class OutputSerializer(serializers.Serializer):
        ok = serializers.BooleanField()
        code = serializers.CharField(help_text="ok, auth_failed, credentials_invalid, portal_unavailable, …")
        message = serializers.CharField()
        schedule_resumed = serializers.BooleanField()

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        # Imported here: the scraper pulls in the browser driver, which the rest of the API never needs.
        from workorders.services import portal_test_login

        result = portal_test_login(user=request.user)
        resumed = result.ok and schedule_resume_after_login_check(user=request.user, now=timezone.now(), ok=True)
        return Response(
            self.OutputSerializer(
                {"ok": result.ok, "code": result.code, "message": result.message, "schedule_resumed": resumed}
            ).data
        )
