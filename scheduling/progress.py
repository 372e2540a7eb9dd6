"""Publishing a run's progress to the user's channel-layer group, throttled per run.

The database row is the truth; these events are a live view of it. A burst of progress steps
(one per page) is coalesced: at most one unforced event per run every PROGRESS_PUBLISH_INTERVAL
seconds. Phase changes and the final state are forced, so the last event a client sees always
matches the row. A channel layer that is down never fails a scrape: it is logged and skipped.
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

_lock = threading.Lock()
_last_sent: dict[int, float] = {}


def run_progress_publish(run: ScrapeRun, *, force: bool = False) -> bool:
    """Send ``{"type": "run.progress", "run": run.as_event()}`` to the user's group.

    Returns False when the event was throttled away or the layer failed (the caller never needs
    to care; the row already holds the state)."""
    interval = getattr(settings, "PROGRESS_PUBLISH_INTERVAL", 0.25)
    now = time.monotonic()
    with _lock:
        last = _last_sent.get(run.pk)
        if not force and last is not None and now - last < interval:
            return False
        if run.is_active:
            _last_sent[run.pk] = now
        else:
            _last_sent.pop(run.pk, None)
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(
            progress_group_name(run.user_id), {"type": "run.progress", "run": run.as_event()}
        )
    except Exception as exc:
        logger.warning("progress publish failed run_id=%s error=%s", run.pk, type(exc).__name__)
        return False
    return True
