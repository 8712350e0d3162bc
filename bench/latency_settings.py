"""`config.settings.local` with the worker settings the latency benchmark varies.

Celery's Django fix-up closes the database connection after every task unless
`CELERY_DB_REUSE_MAX` is set; with it, a worker keeps its connection from task to task (and
`protocol.tasks` closes it the way Django does after a request: when broken or older than
CONN_MAX_AGE). `config/settings/base.py` sets it now; this module sets it too, so the
benchmark still shows the difference where base settings lack it. It also runs the worker once
more with DEBUG off (`BENCH_WORKER_DEBUG=0`), as in production, where Django does not record
every query.
"""

import os

from config.settings.local import *  # noqa: F403

CELERY_DB_REUSE_MAX = 1000
DEBUG = os.environ.get("BENCH_WORKER_DEBUG", "1") == "1"
