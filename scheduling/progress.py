"""Publishing a run's progress to the user's channel-layer group, throttled and coalesced per run.

The database row is the truth; these events are a live view of it. A burst of progress steps
(one per page) is coalesced: at most one unforced event per run every PROGRESS_PUBLISH_INTERVAL
seconds, and a step that arrives inside the interval is not lost but replaces any waiting one and
goes out when the interval ends (so a slow next page never leaves a stale count on screen).
Phase changes and the final state are forced: sent at once, superseding any waiting step, so the
last event a client sees matches the row. A channel layer that is down never fails a scrape: it
is logged and skipped.
"""

from __future__ import annotations

import logging
import threading
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from scheduling.models import ScrapeRun, progress_group_name

logger = logging.getLogger(__name__)

# One lock around bookkeeping and sending: events of a run leave in the order they were made.
_lock = threading.RLock()
_last_sent: dict[int, float] = {}
_waiting: dict[int, tuple[int, dict]] = {}  # run id -> (user id, event) due at the end of the interval
_timers: dict[int, threading.Timer] = {}


def run_progress_publish(run: ScrapeRun, *, force: bool = False) -> bool:
    """Send ``{"type": "run.progress", "run": run.as_event()}`` to the user's group.

    Returns True when it was sent now; False when it waits for the end of the throttle interval
    (it will be sent then, unless a newer event replaces it) or the layer failed."""
    interval = settings.PROGRESS_PUBLISH_INTERVAL
    event = run.as_event()
    with _lock:
        now = time.monotonic()
        last = _last_sent.get(run.pk)
        if not force and last is not None and now - last < interval:
            _waiting[run.pk] = (run.user_id, event)
            if run.pk not in _timers:
                timer = threading.Timer(interval - (now - last), _send_waiting, args=(run.pk,))
                timer.daemon = True
                _timers[run.pk] = timer
                timer.start()
            return False
        _forget_waiting(run.pk)
        if run.is_active:
            _last_sent[run.pk] = now
        else:
            _last_sent.pop(run.pk, None)
        return _send(run.pk, run.user_id, event)


def _forget_waiting(run_id: int) -> None:
    _waiting.pop(run_id, None)
    timer = _timers.pop(run_id, None)
    if timer is not None:
        timer.cancel()


def _send_waiting(run_id: int) -> None:
    with _lock:
        _timers.pop(run_id, None)
        waiting = _waiting.pop(run_id, None)
        if waiting is None:
            return  # superseded by a forced event
        _last_sent[run_id] = time.monotonic()
        _send(run_id, *waiting)


def _send(run_id: int, user_id: int, event: dict) -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(progress_group_name(user_id), {"type": "run.progress", "run": event})
    except Exception as exc:
        logger.warning("progress publish failed run_id=%s error=%s", run_id, type(exc).__name__)
        return False
    return True
