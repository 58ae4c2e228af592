"""Writes. Every change to the domain goes through one of these functions."""

from tracker.services.agencies import agency_ensure, user_ensure, user_issue_token
from tracker.services.areas import (
    AreaImportError,
    area_import,
    area_move,
    area_save,
    read_area_files,
)
from tracker.services.bulk import ImportSummary, reports_import
from tracker.services.imports import import_job_create, import_job_for_key, imports_sweep
from tracker.services.releases import release_publish
from tracker.services.reports import (
    report_create,
    report_reject,
    report_reopen,
    report_submit,
    report_update,
    report_verify,
    report_withdraw,
    restated,
)
from tracker.services.tokens import (
    token_issue,
    token_revoke,
    token_rotate,
    token_touch,
    user_tokens_rotate,
)

__all__ = [
    "AreaImportError",
    "ImportSummary",
    "agency_ensure",
    "area_import",
    "area_move",
    "area_save",
    "import_job_create",
    "import_job_for_key",
    "imports_sweep",
    "read_area_files",
    "release_publish",
    "report_create",
    "report_reject",
    "report_reopen",
    "report_submit",
    "report_update",
    "report_verify",
    "report_withdraw",
    "reports_import",
    "restated",
    "token_issue",
    "token_revoke",
    "token_rotate",
    "token_touch",
    "user_ensure",
    "user_issue_token",
    "user_tokens_rotate",
]
