"""The recipe's pieces are defined once: supervisord (bin/production) and the systemd units run
the same `deploy/run` commands, and nginx's config follows the settings."""

import configparser
import io
import re
import shutil
import subprocess

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

DEPLOY = settings.BASE_DIR / "deploy"


def test_supervisord_and_systemd_run_the_same_programs():
    supervisord = configparser.RawConfigParser()
    supervisord.read(DEPLOY / "supervisord.conf")
    programs = {
        section.removeprefix("program:"): supervisord[section]["command"]
        for section in supervisord.sections()
        if section.startswith("program:")
    }
    assert programs == {name: f"%(here)s/run {name}" for name in ("web", "worker", "beat", "proxy")}
    for name in programs:
        unit = (DEPLOY / "systemd" / f"tracker-{name}.service").read_text()
        assert f"\nExecStart=/srv/tracker/deploy/run {name}\n" in unit
        assert "\nEnvironmentFile=/etc/tracker/env\n" in unit and "\nRestart=always\n" in unit


@override_settings(MAX_BODY_BYTES=12345, STATIC_ROOT="/srv/static")
def test_nginx_takes_the_body_limit_and_static_files_from_the_settings(tmp_path):
    out = io.StringIO()
    call_command("nginx_config", listen="127.0.0.1:9080", upstream="127.0.0.1:9000",
                 run_dir=str(tmp_path), stdout=out)  # fmt: skip
    config = out.getvalue()
    assert re.search(r"^\s*client_max_body_size 12345;", config, re.M)
    assert re.search(r"^\s*location /static/ \{\s*alias /srv/static/;", config, re.M)
    assert re.search(r"^\s*listen 127\.0\.0\.1:9080;", config, re.M)
    assert re.search(r"^\s*server 127\.0\.0\.1:9000;", config, re.M)
    assert re.search(r"^\s*proxy_request_buffering on;", config, re.M)
    if shutil.which("nginx"):
        (tmp_path / "nginx.conf").write_text(config)
        check = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", "nginx.conf",
                                "-e", "stderr"], capture_output=True, text=True)  # fmt: skip
        assert check.returncode == 0, check.stderr
