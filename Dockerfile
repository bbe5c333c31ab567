# The tether worker. Local development only: see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY . .
# faust-streaming and rocksdict come as manylinux wheels: no compiler needed.
RUN pip install . \
    && useradd --create-home --uid 10001 tether \
    && mkdir -p /data \
    && chown tether /data

USER tether
WORKDIR /home/tether
ENV TETHER_KAFKA_BOOTSTRAP=kafka:29092 \
    TETHER_DATA_DIR=/data
VOLUME ["/data"]

CMD ["tether", "worker"]
