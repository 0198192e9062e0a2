# Slipway: build the server and the browser bundle, then ship them on a slim base.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
WORKDIR /src
COPY . .
# The same build step run.sh and the browser tests use (installs the matching
# wasm-bindgen CLI and npm's binaryen for wasm-opt).
RUN ./scripts/build.sh

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates git && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/slipway --create-home slipway
COPY --from=build /src/target/release/slipway /usr/local/bin/slipway
COPY --from=build /src/target/site /usr/share/slipway/site
USER slipway
ENV SLIPWAY_ADDR=0.0.0.0:3000 \
    SLIPWAY_DATA_DIR=/var/lib/slipway \
    SLIPWAY_SITE_ROOT=/usr/share/slipway/site
VOLUME /var/lib/slipway
EXPOSE 3000
# Probes: GET /healthz (liveness) and GET /readyz (readiness: database and migrations).
ENTRYPOINT ["slipway"]
CMD ["serve"]
