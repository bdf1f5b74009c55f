import os

from django.core.wsgi import get_wsgi_application
from django.urls import resolve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
application = get_wsgi_application()
# import every view while the worker starts, not during its first request:
resolve("/")  # loads the URL configuration, which imports the views
