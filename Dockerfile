# The production image: gunicorn for the web, the same image for Celery worker and beat.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN python scripts/build_assets.py \
 && DJANGO_SECRET_KEY=build-only-build-only-build-only-build-only-build-only \
    AUDIT_HMAC_KEY=build-only-build-only-build-only-00 \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 casework
USER casework
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
