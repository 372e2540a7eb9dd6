"""The work order list's search, filter and sort controls (a GET form; it never writes)."""

from __future__ import annotations

from django import forms

LISTED_CHOICES = [("", "All"), ("listed", "Listed on the portal"), ("delisted", "No longer listed")]
SORT_CHOICES = [
    ("-updated", "Recently updated on the portal"),
    ("updated", "Least recently updated"),
    ("number", "Number"),
    ("-number", "Number, descending"),
    ("title", "Title"),
    ("-title", "Title, descending"),
    ("status", "Status"),
    ("-status", "Status, descending"),
    ("priority", "Priority"),
    ("-priority", "Priority, descending"),
    ("site", "Site"),
    ("-site", "Site, descending"),
    ("scheduled_at", "Scheduled, soonest first"),
    ("-scheduled_at", "Scheduled, latest first"),
    ("due_at", "Due, soonest first"),
    ("-due_at", "Due, latest first"),
    ("-last_seen", "Recently seen by a sync"),
    ("last_seen", "Least recently seen by a sync"),
]


class WorkOrderFilterForm(forms.Form):
    """Search and filters; unknown values are dropped (cleaned to empty), never an error page.

    ``values`` are the user's distinct statuses, priorities and sites
    (``work_order_filter_values``), so the selects only offer what exists.
    """

    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(label="Status", required=False)
    priority = forms.ChoiceField(label="Priority", required=False)
    site = forms.ChoiceField(label="Site", required=False)
    listed = forms.ChoiceField(label="Listed", required=False, choices=LISTED_CHOICES)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)

    def __init__(self, data=None, *, values: dict[str, list[str]]) -> None:
        super().__init__(data)
        for name in ("status", "priority", "site"):
            self.fields[name].choices = [("", "Any")] + [(v, v) for v in values.get(name, [])]

    def selector_kwargs(self) -> dict:
        """Keyword arguments for ``work_order_list``: the valid fields only, so a stale or edited
        URL still shows a list."""
        self.is_valid()  # an invalid field is simply missing from cleaned_data
        data = self.cleaned_data
        return {
            "search": data.get("q") or None,
            "status": data.get("status") or None,
            "priority": data.get("priority") or None,
            "site": data.get("site") or None,
            "listed": {"listed": True, "delisted": False}.get(data.get("listed")),
            "ordering": data.get("sort") or None,
        }
