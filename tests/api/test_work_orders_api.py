from datetime import UTC, datetime

import pytest

from tests.factories import make_work_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(user_a, account_a):
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    return {
        "boiler": make_work_order(
            user_a, number="A-3", title="Boiler service", status="Open", priority="High", site="Depot",
            portal_updated_at=at.replace(day=3),
        ),
        "door": make_work_order(
            user_a, number="A-1", title="Door closer", status="Closed", priority="Low", site="Main St",
            portal_updated_at=at.replace(day=2),
        ),
        "gone": make_work_order(
            user_a, number="A-2", title="Old leak", status="Open", priority="High", site="Main St",
            portal_updated_at=at.replace(day=1), delisted_at=at,
        ),
    }  # fmt: skip


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_it_lists_newest_on_the_portal_first(client_a, orders):
    assert ids(client_a.get("/api/work-orders/")) == [orders[k].pk for k in ("boiler", "door", "gone")]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "boil"}, ["boiler"]),
        ({"search": "main st"}, ["door", "gone"]),
        ({"search": "A-1"}, ["door"]),
        ({"status": "Open"}, ["boiler", "gone"]),
        ({"priority": "High"}, ["boiler", "gone"]),
        ({"site": "Main St"}, ["door", "gone"]),
        ({"listed": "true"}, ["boiler", "door"]),
        ({"listed": "false"}, ["gone"]),
        ({"status": "Open", "listed": "true"}, ["boiler"]),
        ({"ordering": "number"}, ["door", "gone", "boiler"]),
        ({"ordering": "-number"}, ["boiler", "gone", "door"]),
        ({"search": ""}, ["boiler", "door", "gone"]),
    ],
)
def test_it_filters_like_the_work_orders_page(client_a, orders, params, expected):
    assert ids(client_a.get("/api/work-orders/", params)) == [orders[k].pk for k in expected]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"ordering": "password"}, "ordering"), ({"listed": "maybe"}, "listed"), ({"search": "x" * 201}, "search")],
)
def test_invalid_filters_get_a_400_with_the_field(client_a, orders, params, field):
    response = client_a.get("/api/work-orders/", params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_it_paginates(client_a, orders):
    page = client_a.get("/api/work-orders/", {"page_size": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"].endswith("page=2&page_size=2")
    assert len(client_a.get("/api/work-orders/", {"page_size": 2, "page": 2}).json()["results"]) == 1


def test_a_page_past_the_end_is_a_404(client_a, orders):
    assert client_a.get("/api/work-orders/", {"page": 9}).status_code == 404


def test_the_detail_shows_a_no_longer_listed_order_as_such(client_a, orders):
    data = client_a.get(f"/api/work-orders/{orders['gone'].pk}/").json()
    assert data["is_listed"] is False
    assert data["delisted_at"] == "2026-11-01T12:00:00Z"
    assert data["description"] == ""
    assert data["number"] == "A-2"


def test_an_unknown_work_order_is_a_404(client_a):
    assert client_a.get("/api/work-orders/999999/").status_code == 404
