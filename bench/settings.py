"""The real settings, with a URLconf that adds the benchmark's minimal view."""

from tracker.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
