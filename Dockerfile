# onceflow's container image: the `onceflow` Debian package, built from this repository, on
# debian:bookworm-slim. See docs/deploy.md.
#
#   docker build -t onceflow:0.1.0 --build-arg ONCEFLOW_GIT_COMMIT=$(git rev-parse --short=12 HEAD) .
#   docker run --rm -v "$PWD/pipeline.yaml:/etc/onceflow/pipeline.yaml:ro" \
#       -v onceflow-state:/var/lib/onceflow -p 9464:9464 onceflow:0.1.0
#
# The entrypoint is the command itself (exec form, so onceflow is PID 1 and receives SIGTERM);
# the default arguments run /etc/onceflow/pipeline.yaml. `docker run onceflow:0.1.0 version`
# runs another subcommand. The pipeline's metrics.address must be 0.0.0.0:9464 (or [::]:9464)
# to be reachable from outside the container.

# ---- build: the library, the command and the Debian packages (the `package` preset) ----------
FROM debian:bookworm AS build
# Without .git in the build context, `onceflow version` shows this commit.
ARG ONCEFLOW_GIT_COMMIT=unknown
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake --preset package -DONCEFLOW_GIT_COMMIT="${ONCEFLOW_GIT_COMMIT}" \
    && cmake --build --preset package \
    && cpack --config build/package/CPackConfig.cmake -B /debs \
    && mv /debs/onceflow_*_amd64.deb /debs/onceflow.deb

# ---- runtime: the package on debian:bookworm-slim, as a non-root user -----------------------
FROM debian:bookworm-slim AS runtime
COPY --from=build /debs/onceflow.deb /tmp/onceflow.deb
# apt resolves the package's Depends (librdkafka1, libabsl20220623, libprotobuf32,
# librocksdb7.8, libyaml-0-2, libre2-9) from Debian; ca-certificates for TLS to brokers with
# public CAs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends /tmp/onceflow.deb ca-certificates \
    && rm -rf /var/lib/apt/lists/* /tmp/onceflow.deb \
    && groupadd --system --gid 10001 onceflow \
    && useradd --system --uid 10001 --gid onceflow --home-dir /var/lib/onceflow \
       --shell /usr/sbin/nologin onceflow \
    && mkdir -p /var/lib/onceflow /etc/onceflow \
    && chown onceflow:onceflow /var/lib/onceflow
# Local state (state.dir, RocksDB and checkpoints; relative paths resolve here). Keep it on a
# volume so a restart replays only the changelog's tail.
VOLUME ["/var/lib/onceflow"]
WORKDIR /var/lib/onceflow
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
EXPOSE 9464
ENTRYPOINT ["/usr/bin/onceflow"]
CMD ["run", "--config", "/etc/onceflow/pipeline.yaml"]
