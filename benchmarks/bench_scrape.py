"""Full sync of a 500-work-order demo account: one script per page vs. element-by-element reading.

    .venv/bin/python benchmarks/bench_scrape.py [--orders 500] [--page-size 50] [--runs 5] [--baseline-runs 1]

Both paths log in, navigate, follow every next-page link with driver.get(href), parse and save the
same rows; they differ only in how a page is read. "cold" syncs start and quit their own browser
(as a one-off "Sync now"); "warm" ones reuse a worker's browser (as consecutive scheduled users).
Target: warm/cold median <= 2.0 s, and >= 12x faster than per-element reading.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PortalServer, demo_user, django_setup, fmt, median, new_run


def per_element_scraper_class():
    from workorders.portals.parsing import header_positions, missing_headers, parse_row
    from workorders.portals.scraper import PortalScraper, ScrapeError, ScrapeResult

    class PerElementScraper(PortalScraper):
        """The baseline: one WebDriver command per row, cell and link."""

        def read_all(self, on_page=None):
            driver = self.browser.driver
            listing = self.definition.listing
            result, by_id, page = ScrapeResult(), {}, 0
            while True:
                page += 1
                table = driver.find_element("css selector", listing.table_selector)
                headers = [h.text for h in table.find_elements("css selector", listing.header_selector)]
                if missing_headers(self.definition, headers):
                    raise ScrapeError("layout_changed")
                positions = header_positions(headers)
                for row in table.find_elements("css selector", listing.row_selector):
                    cells = []
                    for cell in row.find_elements("css selector", "td"):
                        links = cell.find_elements("css selector", "a[href]")
                        cells.append([cell.text, links[0].get_attribute("href") if links else None])
                    order = parse_row(self.definition, positions, cells)
                    if order:
                        by_id[order.external_id] = order
                if on_page:
                    on_page(page, None, len(by_id))
                nexts = driver.find_elements("css selector", listing.next_selector)
                if not nexts:
                    break
                driver.get(nexts[0].get_attribute("href"))
            result.orders, result.pages = list(by_id.values()), page
            return result

    return PerElementScraper


def timed_sync(user, session=None) -> tuple[float, object]:
    from workorders.models import WorkOrder
    from workorders.services import work_orders_sync

    WorkOrder.objects.filter(user=user).delete()  # every measured sync creates all rows
    run = new_run(user)
    started = time.perf_counter()
    run = work_orders_sync(run=run, session=session)
    elapsed = time.perf_counter() - started
    if run.status != "succeeded":
        raise SystemExit(f"sync failed: {run.error_code} {run.error_message}")
    return elapsed, run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=1)
    args = parser.parse_args()

    django_setup()
    from workorders import services
    from workorders.portals.browser import BrowserSession

    with PortalServer() as server:
        user = demo_user(base_url=server.url, count=args.orders, page_size=args.page_size)
        timed_sync(user)  # warm the server (template and URL caches), not measured

        cold = [timed_sync(user)[0] for _ in range(args.runs)]
        with BrowserSession(recycle_after=10_000) as session:
            timed_sync(user, session)
            warm, run = [], None
            for _ in range(args.runs):
                elapsed, run = timed_sync(user, session)
                warm.append(elapsed)

        original = services.PortalScraper
        services.PortalScraper = per_element_scraper_class()
        try:
            with BrowserSession(recycle_after=10_000) as session:
                baseline = [timed_sync(user, session)[0] for _ in range(args.baseline_runs)]
        finally:
            services.PortalScraper = original

    pages = run.page
    print(f"Full sync of {args.orders} work orders, {pages} pages of {args.page_size} (found {run.found_count})")
    for label, values in (
        ("one script per page, cold browser ", cold),
        ("one script per page, warm browser ", warm),
        ("per-element reading (warm browser)", baseline),
    ):
        print(f"  {label}: median {fmt(median(values))}  runs={[round(v, 3) for v in values]}")
    print(f"  speed-up warm vs per-element: {median(baseline) / median(warm):.1f}x")
    print(f"  speed-up cold vs per-element: {median(baseline) / median(cold):.1f}x")
    print("  target: median <= 2.0 s and >= 12x")


if __name__ == "__main__":
    main()
