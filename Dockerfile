FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY connectors ./connectors
COPY bot ./bot
COPY kb ./kb
COPY web ./web
RUN pip install --no-cache-dir .
RUN useradd --system --home /var/lib/hub hub && mkdir -p /var/lib/hub && chown hub /var/lib/hub
USER hub
EXPOSE 8000
CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000"]
