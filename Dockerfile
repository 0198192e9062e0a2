# Slipway: build the server and the browser bundle, then ship them on a slim base.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --version 0.3.10 --locked
WORKDIR /src
COPY . .
RUN WB=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock) \
 && cargo install wasm-bindgen-cli --version "$WB"
RUN cd end2end && npm ci --no-audit --no-fund
ENV PATH="/src/end2end/node_modules/.bin:${PATH}" LEPTOS_OUTPUT_NAME=slipway
RUN cargo leptos build --release

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
