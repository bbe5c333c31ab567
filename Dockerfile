# The tether worker; with EXTRAS=demo also the stand-ins (`tether standins`).
# Local development and the demo: see docker-compose.yml.
# The base image by digest, so that a rebuild gets the very image the tests ran on
# (a tag moves with every Debian or CPython patch). Refresh it deliberately: `make
# base-digest` prints the FROM line for the tag's current multi-platform digest (or
# `docker buildx imagetools inspect python:3.11-slim`), then rebuild and run the tests.
FROM python:3.11-slim@sha256:be1575ed968de893bd54f4c56315ff7c4736ce522c1bca08fd521731aafc0d76

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
