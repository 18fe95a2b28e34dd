# tiersight: one image for the API, the Celery workers and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TIERSIGHT_RULES_DIR=/app/rules \
    TIERSIGHT_INDEX_DIR=/var/cache/tiersight

WORKDIR /app
COPY pyproject.toml README.md ./
COPY screening ./screening
COPY api ./api
COPY workers ./workers
COPY rules ./rules
COPY examples ./examples
RUN pip install --editable . \
    && useradd --system --home /app tiersight \
    && mkdir -p /var/cache/tiersight \
    && chown tiersight /var/cache/tiersight

USER tiersight
EXPOSE 8000
CMD ["tiersight", "serve", "--host", "0.0.0.0", "--port", "8000"]
