# sandbank in a container: a Rust builder, then a slim Debian runtime as a non-root user.
#   docker build -t sandbank .
#   docker run --rm -p 127.0.0.1:12111:12111 -v sandbank-data:/var/lib/sandbank sandbank
# The image's entrypoint is the binary: `docker run … sandbank migrate`, `… keys create`.

FROM rust:1.95-bookworm AS builder
WORKDIR /src

# Dependencies first: this layer is rebuilt only when Cargo.toml or Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

# Then the crate itself (sources and the migrations embedded at compile time).
COPY . .
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && install -m 0755 target/release/sandbank /usr/local/bin/sandbank


FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/sandbank --create-home \
        --shell /usr/sbin/nologin sandbank
COPY --from=builder /usr/local/bin/sandbank /usr/local/bin/sandbank

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
