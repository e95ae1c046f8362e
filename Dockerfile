# One image for every league service: the server, the trainer and the match workers.
# CPU-only torch keeps the image small. The league's own code is installed editable from /app, so the
# `league` command and `python -m league` run there use the same files (a wheel would also do: it
# carries the migrations, templates and static files; see pyproject.toml).
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEAGUE_DATA_DIR=/data

# torch first, in its own layer: it is by far the largest dependency and changes least often.
RUN pip install --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}"

WORKDIR /app
# What travels is limited by .dockerignore.
COPY . .
RUN pip install -e ".[postgres]" \
    && useradd --create-home --uid 1000 league \
    && mkdir -p /data /runs /cache \
    && chown league:league /data /runs /cache

USER league
EXPOSE 8000
# Each service in docker-compose.yml names its own `league ...` command.
CMD ["league", "--help"]
