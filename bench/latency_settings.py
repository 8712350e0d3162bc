"""`config.settings.local` plus the worker setting the latency benchmark recommends.

Celery's Django fix-up closes the database connection after every task unless
`CELERY_DB_REUSE_MAX` is set; with it, a worker keeps its connection from task to task (and
`protocol.tasks` closes it the way Django does after a request: when broken or older than
CONN_MAX_AGE). The benchmark runs its worker with the settings as they are and with these, to
show the difference; and once more with DEBUG off (`BENCH_WORKER_DEBUG=0`), as in production,
where Django does not record every query. Not needed once the setting is in
`config/settings/base.py`.
"""

import os

from config.settings.local import *  # noqa: F403

CELERY_DB_REUSE_MAX = 1000
DEBUG = os.environ.get("BENCH_WORKER_DEBUG", "1") == "1"
