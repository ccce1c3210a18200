# One image for the API and the workers: `command` in docker-compose.yml picks the role.
# The base image and every Python package are pinned (requirements.lock), so a rebuild is the same image.
FROM python:3.11.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# The API listens on every interface of the container (the default, 127.0.0.1, suits one machine).
ENV HOST=0.0.0.0
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN pip install -r requirements.lock
COPY moderation ./moderation
COPY service ./service
COPY workers ./workers
RUN pip install --no-deps . && useradd --create-home --uid 10001 app
USER app
EXPOSE 8000
CMD ["moderation", "api"]
