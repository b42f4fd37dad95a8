# CoreDNS with the dyndns plugin (cmd/coredns), as a small non-root image.
#
#   docker build -t dyndns .
#   docker run -d --name dyndns -p 53:1053/udp -p 53:1053/tcp -v dyndns-data:/data dyndns
#
# The base images are build arguments, so that a mirror or a pinned digest
# can stand in for them (--build-arg GO_IMAGE=... --build-arg BASE_IMAGE=...).
# GO_IMAGE follows the go line of go.mod.
ARG GO_IMAGE=golang:1.26-bookworm
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src
# Modules first: this layer stays cached until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# A static binary (no cgo: the final image has no libc), without paths of
# the build machine or debug information. docker_test.go runs this very line.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /coredns ./cmd/coredns
# The volume's mount point, copied below with the owner of the non-root user
# (the final image has no shell to mkdir it): a fresh named volume takes the
# owner of the directory it is mounted over, so CoreDNS can write to it.
RUN mkdir /data

# distroless/static: CA certificates, tzdata, /etc/passwd with the nonroot
# user (65532), no shell, no package manager.
FROM ${BASE_IMAGE}
COPY --from=build /coredns /coredns
COPY Dockerfile.corefile /etc/coredns/Corefile
COPY --from=build --chown=65532:65532 /data /data
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 65532:65532
# Zones (db.<zone>) and their journals: see "directory /data" in the Corefile.
VOLUME /data
# The Corefile listens on 1053, not 53: a non-root process may bind a port
# below 1024 only where the runtime lowers net.ipv4.ip_unprivileged_port_start
# (Docker does in a container's own network namespace; Podman 4, --network
# host and some Kubernetes runtimes do not), and --cap-add NET_BIND_SERVICE
# does not reach a non-root process without a file capability on the binary
# (setcap), which in turn makes it fail to start under --cap-drop ALL. 1053
# works everywhere; publish it as 53: -p 53:1053/udp -p 53:1053/tcp.
EXPOSE 1053/udp 1053/tcp
ENTRYPOINT ["/coredns"]
CMD ["-conf", "/etc/coredns/Corefile"]
