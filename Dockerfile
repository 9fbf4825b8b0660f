# Build: the release binary against libpq.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY sdk-snippets/web ./sdk-snippets/web
RUN cargo build --release --locked && strip target/release/feedbackd

# Run: a slim image with libpq and curl (for the healthcheck), as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 feedbackd
COPY --from=build /src/target/release/feedbackd /usr/local/bin/feedbackd
USER feedbackd
ENV FEEDBACKD_LISTEN=0.0.0.0:8080 FEEDBACKD_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["feedbackd"]
CMD ["serve"]
