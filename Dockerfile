# syntax=docker/dockerfile:1

# Build a static binary.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/rotatord ./cmd/rotatord
# An empty state directory, so a fresh volume mounted on it is owned by the
# nonroot user.
RUN mkdir -m 0700 /out/state

# Run it on distroless: CA certificates, time zone data, no shell, and the
# nonroot user (UID 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rotatord /rotatord
COPY --from=build --chown=65532:65532 /out/state /var/lib/rotatord
USER nonroot:nonroot
# Rotation progress lives here. Keep it on a volume across container
# restarts, or a restart cannot finish a rotation that was interrupted.
VOLUME ["/var/lib/rotatord"]
EXPOSE 9464
ENV ROTATORD_CONFIG=/etc/rotatord/config.yaml
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/rotatord", "healthcheck"]
ENTRYPOINT ["/rotatord"]
CMD ["run", "--config", "/etc/rotatord/config.yaml"]
