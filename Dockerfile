# One image for the API and the workers: `command` in docker-compose.yml picks the role.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY moderation ./moderation
COPY service ./service
COPY workers ./workers
RUN pip install . && useradd --create-home --uid 10001 app
USER app
EXPOSE 8000
CMD ["moderation", "api"]
