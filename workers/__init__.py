"""tiersight's Celery workers. Built on `screening`; never imports `api`."""
