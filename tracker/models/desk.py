from tracker.models.reports import Report


class DeskReport(Report):
    """The verification desk's view of reports: those waiting for a verifier (pending reports
    and verified reports with a pending revision), oldest first. No table of its own."""

    class Meta:
        proxy = True
        verbose_name = "report to verify"
        verbose_name_plural = "verification desk"
