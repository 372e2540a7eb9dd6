"""Peak Chromium memory per sync (RSS summed over chromedriver and its whole process tree) and
browser processes left behind after many syncs, each sync starting and quitting its own browser.

    .venv/bin/python benchmarks/bench_browser_memory.py [--syncs 100] [--orders 100] [--page-size 25]
        [--fail-every 4]

Every ``--fail-every``-th sync hits a fault (alternating: session expiry, HTTP 500, rejected login,
renamed column), because the failure paths are where processes leak. Target: 0 processes left.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PortalServer, demo_user, django_setup, median, new_run

FAULTS = [
    {"expire_session_after_page": 1},
    {"error_500_on_page": 2},
    {"reject_login": True},
    {"layout": "renamed_column"},
]


EXCLUDED: set[int] = set()  # this process and the demo portal server


def browser_processes() -> list:
    """Every live chromedriver/Chromium process started by this benchmark process."""
    from workorders.portals.browser import process_tree

    return [p for p in process_tree(os.getpid()) if p.pid not in EXCLUDED]


def pss_bytes(pid: int) -> int:
    """Proportional set size: shared pages divided among the processes sharing them."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakSampler:
    """Samples the RSS of this process's browser descendants every 20 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            processes = browser_processes()
            self.peak = max(self.peak, sum(p.rss_bytes for p in processes))
            self.peak_pss = max(self.peak_pss, sum(pss_bytes(p.pid) for p in processes))
            time.sleep(0.02)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--syncs", type=int, default=100)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--page-size", type=int, default=25)
    parser.add_argument("--fail-every", type=int, default=4)
    args = parser.parse_args()

    django_setup()
    from demoportal.models import PortalUser
    from workorders.services import work_orders_sync

    with PortalServer() as server:
        from workorders.portals.browser import process_tree

        EXCLUDED.update({os.getpid(), *(p.pid for p in process_tree(server.process.pid))})
        user = demo_user(base_url=server.url, count=args.orders, page_size=args.page_size)
        portal = PortalUser.objects.get(username="bench@portal.test")
        peaks, pss_peaks, outcomes, started = [], [], {}, time.perf_counter()
        for n in range(1, args.syncs + 1):
            portal.clear_faults()
            if args.fail_every and n % args.fail_every == 0:
                for name, value in FAULTS[(n // args.fail_every) % len(FAULTS)].items():
                    setattr(portal, name, value)
            portal.save()
            with PeakSampler() as sampler:
                run = work_orders_sync(run=new_run(user))
            peaks.append(sampler.peak)
            pss_peaks.append(sampler.peak_pss)
            key = run.error_code or str(run.status)
            outcomes[key] = outcomes.get(key, 0) + 1
            # A rejected login marks the credentials; store them again for the next sync.
            if run.error_code == "auth_failed":
                from credentials.models import CredentialStatus, PortalAccount

                PortalAccount.objects.filter(user=user).update(status=CredentialStatus.UNCHECKED)
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        left = browser_processes()

    mib = 1024 * 1024
    print(f"{args.syncs} syncs ({args.orders} work orders, page size {args.page_size}) in {elapsed:.0f} s: {outcomes}")
    print(f"  peak browser RSS per sync (chromedriver + Chromium tree): median {median(peaks) / mib:.0f} MiB, "
          f"max {max(peaks) / mib:.0f} MiB (RSS counts shared pages once per process)")  # fmt: skip
    print(f"  the same as PSS (shared pages split): median {median(pss_peaks) / mib:.0f} MiB, "
          f"max {max(pss_peaks) / mib:.0f} MiB")  # fmt: skip
    print(f"  browser processes left after {args.syncs} syncs: {len(left)} (target 0)")
    for proc in left:
        print(f"    pid={proc.pid} {proc.cmdline[:120]}")


if __name__ == "__main__":
    main()
