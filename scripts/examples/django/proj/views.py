"""/proof: which settings hold a value, and the SHA-256 of each (never the
value itself), with the serving process's pid."""
import hashlib
import os

from django.conf import settings
from django.http import JsonResponse


def _digest(value):
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


def settings_digests():
    values = {
        "SECRET_KEY": settings.SECRET_KEY,
        "DB_PASSWORD": settings.DATABASES["default"]["PASSWORD"] or None,
        "DB_USER": settings.DATABASES["default"]["USER"] or None,
    }
    return {
        "pid": os.getpid(),
        "set": {k: v is not None for k, v in values.items()},
        "sha256": {k: _digest(v) for k, v in values.items()},
    }


def proof(request):
    return JsonResponse(settings_digests())
