"""Bulk imports: thin tasks; the protocol is tracker.services.imports'. A job is claimed with a
conditional UPDATE and runs in one transaction, so running it twice, or after its worker died,
is safe: it is acknowledged late and retried."""

from celery import shared_task
from django.db import DatabaseError

from tracker.services import imports

IMPORT_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
    # Longer than the broker's visibility timeout (600 s): should the message be handed to a
    # second worker meanwhile, that one finds the job running and leaves it.
    "soft_time_limit": 3000,
    "time_limit": 3600,
}


def read_upload(job, progress):
    """The stored upload's rows, checked as reports (the API's reading of an upload)."""
    from api.bulk import Upload, checked_rows

    upload = Upload(job.format, imports.import_upload(job))
    return checked_rows(upload.rows(), progress=progress)


@shared_task(name="tracker.import_run", ignore_result=True, **IMPORT_OPTIONS)
def import_run(job_id: int) -> None:
    """Run a stored bulk upload."""
    imports.import_job_run(job_id=job_id, read=read_upload)


@shared_task(name="tracker.imports_sweep", ignore_result=True)
def imports_sweep() -> int:
    """Send again the jobs whose message was lost or whose worker died (Celery beat)."""
    return imports.imports_sweep()


# Not retried: should the broker fail, the sweep sends the job once it is back.
imports.imports_send_with(lambda job_id: import_run.apply_async((job_id,), retry=False))
