# Dockerfile — the ragtop stack as one image (rag-ingest, rag-api, ragtop),
# built in two stages on Debian bookworm slim:
#   build:   compiler + -dev packages, `make all`, `make install` into /out
#   runtime: only the shared libraries the programs link against, a non-root
#            user, the container config in /etc/ragtop, data under /data.
# docker-compose.yml runs every service from this image with a different
# command; see docs/runbooks/orchestration.md.

# ---------------------------------------------------------------- build
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential pkg-config \
      libncurses-dev libcurl4-openssl-dev libcjson-dev libyaml-dev \
      libmicrohttpd-dev libsqlite3-dev libssl-dev libcmocka-dev libhnswlib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY include ./include
COPY src ./src
COPY scripts ./scripts
COPY themes ./themes
COPY docs ./docs
# The Makefile installs missing test tools (tmux, prometheus, ...) before a
# build; an image needs none of them, so every goal is declared dependency-free.
RUN make -j2 NODEPS_GOALS="all install" all \
 && make NODEPS_GOALS="all install" install PREFIX=/usr/local DESTDIR=/out

# ---------------------------------------------------------------- runtime
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libncursesw6 libcurl4 libcjson1 libyaml-0-2 libmicrohttpd12 \
      libsqlite3-0 libssl3 libstdc++6 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ragtop \
 && useradd --system --uid 10001 --gid ragtop --home-dir /data --shell /usr/sbin/nologin ragtop \
 && mkdir -p /data/transcripts /data/artifacts /etc/ragtop \
 && chown ragtop:ragtop /data/artifacts
COPY --from=build /out/usr/local/ /usr/local/
COPY deploy/docker/params.yaml deploy/docker/services.yml /etc/ragtop/
COPY data/transcripts/ /data/transcripts/
ENV RAG_CONFIG=/etc/ragtop/params.yaml \
    RAG_SERVICES=/etc/ragtop/services.yml \
    LANG=C.UTF-8 \
    TERM=xterm-256color
USER ragtop
WORKDIR /data
VOLUME ["/data/artifacts"]
EXPOSE 8088 8089
CMD ["rag-api", "--config", "/etc/ragtop/params.yaml"]
