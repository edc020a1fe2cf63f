# Production image: gunicorn serves the web app; run `python manage.py qcluster`
# from the same image as the worker. Configure through the environment (README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=twitterpub.settings.production

# pg_dump and pg_restore for backups on PostgreSQL: the distribution's version, which
# must be the server's major version or newer (`db health` checks; docs/operations.md).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/prod.txt

COPY . .
# collectstatic needs settings to import; these values exist only for this step.
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
    FIELD_ENCRYPTION_KEYS=bm90LWEtcmVhbC1rZXktYnVpbGQtb25seS0wMDAwMDA= \
    python manage.py collectstatic --noinput \
 && useradd --system --home /app twitterpub && mkdir -p /app/data && chown twitterpub /app/data

USER twitterpub
EXPOSE 8000
CMD ["gunicorn", "twitterpub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
