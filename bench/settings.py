"""Production settings plus a bare endpoint, for the API benchmark's baseline."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
