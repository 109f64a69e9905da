# syntax=docker/dockerfile:1
# Multi-stage: build a virtualenv with pinned dependencies, then copy it into a slim,
# non-root runtime image that runs `advocacy-bot serve`.
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml constraints.txt README.md ./
COPY advocacy_bot ./advocacy_bot
COPY bot ./bot
COPY adapters ./adapters
COPY content_store ./content_store
COPY scheduler ./scheduler
COPY messages ./messages
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -c constraints.txt .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 advocacy \
 && mkdir -p /app/data && chown advocacy:advocacy /app/data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY config.yaml guidelines.md ./
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////app/data/advocacy.db \
    ADVOCACY_CONFIG=/app/config.yaml \
    PORT=3000
USER advocacy
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD python -c "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT','3000'), timeout=2)"
CMD ["advocacy-bot", "serve"]
