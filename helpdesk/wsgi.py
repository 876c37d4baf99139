import os

from django.core.wsgi import get_wsgi_application

from helpdesk.gc_tuning import tune_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
application = get_wsgi_application()
tune_gc()  # after loading: see helpdesk/gc_tuning.py
