import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
application = get_wsgi_application()

# The URLconf (every view and API schema) is loaded now rather than by the first request;
# all of that lives as long as the process: kept out of the collector's sight, a full
# collection scans only what requests create.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
