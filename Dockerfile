# sandbank in a container: a Rust builder, then a slim Debian runtime as a non-root user.
#   docker build -t sandbank .
#   docker run --rm -p 127.0.0.1:12111:12111 -v sandbank-data:/var/lib/sandbank sandbank
# The image's entrypoint is the binary: `docker run … sandbank migrate`, `… keys create`.

# The skeleton: the manifests, and an empty `main` for every target root Cargo finds (the
# binary, benches, examples), so the dependency layer below is keyed by nothing else. A new
# bench or example is stubbed without editing this file. (cargo-chef does the same; this
# needs nothing installed.) `scripts/replay-docker-build` replays these stages in the suite.
FROM rust:1.95-bookworm AS skeleton
WORKDIR /src
COPY . .
RUN mkdir -p skeleton/src \
    && cp Cargo.toml Cargo.lock skeleton/ \
    && touch skeleton/src/lib.rs \
    && for f in src/main.rs benches/*.rs examples/*.rs; do \
         [ -e "$f" ] || continue; \
         mkdir -p "skeleton/$(dirname "$f")" && echo 'fn main() {}' > "skeleton/$f"; \
       done

FROM rust:1.95-bookworm AS builder
WORKDIR /src

# Dependencies first: this layer is rebuilt only when the skeleton (the manifests) changes.
COPY --from=skeleton /src/skeleton ./
RUN cargo build --release --locked

# Then the crate itself (sources and the migrations embedded at compile time); the stubs'
# build is made stale by touching the real roots.
COPY . .
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked


FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/sandbank --create-home \
        --shell /usr/sbin/nologin sandbank
COPY --from=builder /src/target/release/sandbank /usr/local/bin/sandbank

# Listen on every interface inside the container; the SQLite store and the encryption key
# file live in the data directory, so keep it on a volume.
ENV SANDBANK_LISTEN=0.0.0.0:12111 \
    SANDBANK_DATA_DIR=/var/lib/sandbank
VOLUME ["/var/lib/sandbank"]
WORKDIR /var/lib/sandbank
USER sandbank
EXPOSE 12111

# GET /healthz through bash's /dev/tcp: no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${SANDBANK_LISTEN##*:} && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -c 12 <&3 | grep -q ' 200$'"]

ENTRYPOINT ["/usr/local/bin/sandbank"]
CMD ["serve"]
