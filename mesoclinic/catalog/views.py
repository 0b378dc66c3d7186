from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from mesoclinic.catalog.selectors import (
    SECTIONS,
    SECTIONS_BY_SLUG,
    catalogue_release,
    section_sizes,
)
from mesoclinic.core.context import Actor
from mesoclinic.core.web import staff_view


@staff_view()
def catalogue_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "catalog/index.html",
                  {"sections": section_sizes(), "release": catalogue_release()})


@staff_view()
def catalogue_section(request: HttpRequest, actor: Actor, slug: str) -> HttpResponse:
    section = SECTIONS_BY_SLUG.get(slug)
    if section is None:
        raise Http404
    return render(request, "catalog/section.html",
                  {"section": section, "entries": section.entries(), "sections": SECTIONS})
