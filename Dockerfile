# extauthz container image: a static binary on distroless, running as non-root.
#   docker build -t extauthz .
#   docker run -v $PWD/deploy/config.yaml:/etc/extauthz/config.yaml:ro -p 9001:9001 extauthz
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/extauthz ./cmd/extauthz

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/extauthz /usr/local/bin/extauthz
USER nonroot:nonroot
# gRPC ext_authz, HTTP forward-auth, admin (/metrics, /healthz, /readyz).
EXPOSE 9001 9002 9090
ENTRYPOINT ["/usr/local/bin/extauthz"]
CMD ["serve", "--config", "/etc/extauthz/config.yaml"]
