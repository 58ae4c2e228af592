"""Query parameters an operation does not document are refused, each by name (400), rather than
ignored: a misspelt `datefrom`, or an `as_at` this API does not have, would otherwise answer
something other than what was asked, without a word."""

from rest_framework.exceptions import ValidationError
from rest_framework.mixins import ListModelMixin
from rest_framework.settings import api_settings


class DocumentedQueryOnly:
    """For API views. `query_parameters` maps an action (a method, for views without actions) to
    the names it takes besides those found from the view: a list's filters and pages, and
    `format` where the operation answers in more than one."""

    query_parameters: dict[str, tuple[str, ...]] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not hasattr(self, request.method.lower()):
            return  # a method this URL does not have: 405 follows
        documented = self.documented_query_parameters(request)
        unknown = sorted(set(request.query_params) - documented)
        if unknown:
            takes = ", ".join(sorted(documented)) or "none"
            message = f"Unknown query parameter (this operation takes: {takes})."
            raise ValidationError({name[:100]: [message] for name in unknown})

    def documented_query_parameters(self, request) -> set[str]:
        action = getattr(self, "action", None)
        method = "get" if request.method == "HEAD" else request.method.lower()
        names = set(self.query_parameters.get(action or method, ()))
        if isinstance(self, ListModelMixin) and action in (None, "list"):
            filterset = getattr(self, "filterset_class", None)
            if filterset is not None:
                names |= set(filterset.base_filters)
            if self.paginator is not None:
                names |= {self.paginator.page_query_param, self.paginator.page_size_query_param}
                names |= {getattr(self.paginator, "cursor_query_param", "page")}
        if len({renderer.format for renderer in self.get_renderers()}) > 1:
            names.add(api_settings.URL_FORMAT_OVERRIDE)
        return names
