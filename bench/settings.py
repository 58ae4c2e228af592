"""The real settings, with a URLconf that adds the benchmark's minimal view."""

import warnings

from tracker.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# Static files are collected at deployment; their absence changes nothing measured here.
warnings.filterwarnings("ignore", "No directory at", UserWarning)
