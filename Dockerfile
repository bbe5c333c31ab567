# The tether worker; with EXTRAS=demo also the stand-ins (`tether standins`).
# Local development and the demo: see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY . .
# The versions the test suite ran against (constraints.txt). faust-streaming and
# rocksdict come as manylinux wheels: no compiler needed.
ARG EXTRAS=""
RUN pip install --constraint constraints.txt ".${EXTRAS:+[$EXTRAS]}" \
    && useradd --create-home --uid 10001 tether \
    && mkdir -p /data \
    && chown tether /data

USER tether
WORKDIR /home/tether
ENV TETHER_KAFKA_BOOTSTRAP=kafka:29092 \
    TETHER_DATA_DIR=/data
VOLUME ["/data"]
# The worker's web server: /health, /ready, /metrics, /status and the status page.
EXPOSE 6066

CMD ["tether", "worker"]
