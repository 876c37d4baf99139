"""Garbage-collector settings of the long-running processes (web server, Celery worker).

CPython collects its youngest generation every 700 new container objects, and now and then
walks every object of the process — Django's modules, URL patterns and compiled templates
included. A queue page allocates tens of thousands of objects, so a request paid for
several collections, and the occasional full one showed as the slowest requests (measured
with bench/admin_queue.py: the 95th percentile of the queue dropped by a fifth).

After start-up, ``tune_gc`` moves everything loaded so far out of the collector's sight
(``gc.freeze``: it lives as long as the process) and collects the youngest generation every
GC_GEN0_THRESHOLD objects instead. Cycles are still collected; a request's garbage is
freed by reference counting as before.
"""

from __future__ import annotations

import gc
import os

DEFAULT_GEN0_THRESHOLD = 50_000


def tune_gc(*, gen0_threshold: int | None = None) -> None:
    threshold = gen0_threshold or int(os.environ.get("GC_GEN0_THRESHOLD",
                                                     DEFAULT_GEN0_THRESHOLD))
    gc.collect()  # freeze what is alive, not garbage
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(threshold, gen1, gen2)
