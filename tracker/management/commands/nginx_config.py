import grp
import os
import pwd

from django.conf import settings
from django.core.management.base import BaseCommand
from django.template import Context, Engine

TEMPLATE = settings.BASE_DIR / "deploy" / "nginx.conf"


class Command(BaseCommand):
    help = (
        "Print the reverse proxy's nginx.conf (deploy/nginx.conf) for these settings: "
        "MAX_BODY_BYTES and the static files come from them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--listen", required=True, help="where nginx listens, host:port")
        parser.add_argument("--upstream", required=True, help="where gunicorn listens, host:port")
        parser.add_argument("--run-dir", required=True, help="nginx's pid file and buffers")

    def handle(self, *args, listen: str, upstream: str, run_dir: str, **options):
        root = os.geteuid() == 0
        context = {
            "listen": listen,
            "upstream": upstream,
            "run_dir": os.path.abspath(run_dir),
            "max_body_bytes": settings.MAX_BODY_BYTES,
            "static_url": "/" + settings.STATIC_URL.strip("/") + "/",
            "static_root": os.path.abspath(settings.STATIC_ROOT),
            "user": pwd.getpwuid(os.geteuid()).pw_name if root else None,
            "group": grp.getgrgid(os.getegid()).gr_name if root else None,
        }
        template = Engine(autoescape=False).from_string(TEMPLATE.read_text())
        self.stdout.write(template.render(Context(context)), ending="")
