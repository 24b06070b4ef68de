# syntax=docker/dockerfile:1
#
# The product's binaries in a small non-root image:
#   docker build -t nats-provisioner:0.1.0 .
# Entrypoint `provisioner` (the Helm chart runs `provisioner serve --config …`); the
# image also holds `nsc-setup` and every other binary of the workspace (the reference
# `agent`), on PATH in /usr/local/bin.

# Keep at or above the workspace's rust-version (Cargo.toml); Debian 12 like the runtime.
ARG RUST_VERSION=1.89
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
# Every binary target of the workspace except the test harness package, from the locked
# dependency versions. The cache mounts keep crates and build output between builds; the
# binaries are copied out of the cached target folder in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --workspace --bins --exclude integration-tests \
    && mkdir -p /out \
    && find target/release -maxdepth 1 -type f -perm -u+x -exec cp {} /out/ \; \
    && test -x /out/provisioner && test -x /out/nsc-setup

# distroless/cc: glibc, libgcc, CA certificates and nothing else (no shell); the
# `nonroot` variant runs as uid/gid 65532.
FROM ${RUNTIME_IMAGE}
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["provisioner"]
CMD ["--help"]
