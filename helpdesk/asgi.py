import os

from django.core.asgi import get_asgi_application

from helpdesk.gc_tuning import tune_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
application = get_asgi_application()
tune_gc()  # after loading: see helpdesk/gc_tuning.py
