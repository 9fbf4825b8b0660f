# syntax=docker/dockerfile:1
# feedbackd's image: the release binary on a slim Debian, run as an unprivileged user, against
# the PostgreSQL that DATABASE_URL names (the embedded default needs PostgreSQL's own binaries,
# which this image does not carry). `docker compose up` runs it beside PostgreSQL; see
# docs/deployment.md.
#
# The base images are pinned by exact tag, not by digest: no digest could be checked where this
# file was written. To pin a digest too, build once and write the one `docker buildx imagetools
# inspect IMAGE` prints as IMAGE@sha256:…. The build stage's Debian release must be the runtime
# stage's: the binary links that release's libpq.
ARG RUST_IMAGE=rust:1.95.0-slim-trixie
ARG RUNTIME_IMAGE=debian:13.1-slim

# Dependencies are cached with cargo-chef: `prepare` reduces the workspace to its manifests and
# lock file (recipe.json), and `cook` compiles only the dependencies. recipe.json changes only
# when a manifest or Cargo.lock does, so a change to the source reuses the cooked layer and
# compiles only the workspace's own crates. (A hand-made layer of the manifests would have to
# list every crate of the workspace here and stub its targets; cargo-chef does both from the
# workspace itself, so a new crate needs no change to this file.)
FROM ${RUST_IMAGE} AS chef
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin feedbackd && strip target/release/feedbackd

# Run: libpq5 (the binary's PostgreSQL client), ca-certificates (TLS to a managed PostgreSQL) and
# curl (the health check), as user 10001 with no shell login and no write access outside its
# home, which holds --data-dir (demo.json of FEEDBACKD_DEMO).
FROM ${RUNTIME_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 feedbackd \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/feedbackd --create-home \
       --shell /usr/sbin/nologin feedbackd
COPY --from=build /src/target/release/feedbackd /usr/local/bin/feedbackd
COPY LICENSE /usr/share/doc/feedbackd/LICENSE
# Numeric, so that a runtime that refuses root (Kubernetes' runAsNonRoot) can check it.
USER 10001:10001
WORKDIR /var/lib/feedbackd
ENV FEEDBACKD_LISTEN=0.0.0.0:8080 \
    FEEDBACKD_LOG_FORMAT=json \
    FEEDBACKD_DATA_DIR=/var/lib/feedbackd
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["feedbackd"]
CMD ["serve"]
