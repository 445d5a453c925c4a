#!/usr/bin/env bash
# The project's one test command (README.md "Testing"; .ci/run calls it).
#
# 1. Installs the pinned end-to-end peers when they are missing, retrying each install:
#    nginx with auth_request (Debian), oauth2-mock-server 8.2.3 (npm ci in e2e/ from the
#    committed lockfile), grpcurl v1.9.4 (go install).
# 2. gofmt and go vet.
# 3. go test -race ./... with the end-to-end tests required (EXTAUTHZ_E2E=1: a missing peer
#    fails the run instead of skipping).
# 4. Every fuzz target (found by grep, so new ones are picked up) for FUZZTIME each.
# 5. The soak (cmd/extauthz-soak) in its short mode (15 s): mixed traffic through the real gRPC
#    listener while a fake provider flaps, hangs and rotates keys; fails on a wrong decision.
#
# Environment: FUZZTIME (default 10s), SKIP_FUZZ=1, SKIP_SOAK=1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly GRPCURL_VERSION=v1.9.4
readonly NODE_MIN_MAJOR=20
FUZZTIME="${FUZZTIME:-10s}"

log() { printf 'test.sh: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# retry ATTEMPTS COMMAND...: registries and mirrors fail transiently; a pinned install that
# fails three times in a row is a real failure.
retry() {
	local attempts="$1" n=1
	shift
	until "$@"; do
		if [ "$n" -ge "$attempts" ]; then
			log "giving up after $n attempts: $*"
			return 1
		fi
		log "attempt $n failed, retrying in $((n * 5))s: $*"
		sleep $((n * 5))
		n=$((n + 1))
	done
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
	if [ "$apt_updated" -eq 0 ]; then
		retry 3 as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get -o DPkg::Lock::Timeout=300 update -qq
		apt_updated=1
	fi
	retry 3 as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@"
}

nginx_has_auth_request() {
	command -v nginx >/dev/null && nginx -V 2>&1 | grep -q -- '--with-http_auth_request_module'
}

install_nginx() {
	if nginx_has_auth_request; then
		log "nginx present: $(nginx -v 2>&1)"
		return
	fi
	local running_before=0
	pgrep -x nginx >/dev/null && running_before=1
	log "installing nginx from Debian"
	apt_install nginx
	# The package's postinst may start a system nginx on port 80 on all interfaces. The tests
	# run their own nginx on loopback, so stop one that this install started.
	if [ "$running_before" -eq 0 ] && [ -s /run/nginx.pid ]; then
		log "stopping the system nginx the package started"
		as_root nginx -s quit || true
	fi
	nginx_has_auth_request || die "nginx is installed but lacks --with-http_auth_request_module"
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

install_node() {
	if command -v node >/dev/null && command -v npm >/dev/null &&
		[ "$(node_major)" -ge "$NODE_MIN_MAJOR" ]; then
		log "node present: $(node --version)"
		return
	fi
	log "installing nodejs and npm from Debian"
	apt_install nodejs npm
	[ "$(node_major)" -ge "$NODE_MIN_MAJOR" ] ||
		die "oauth2-mock-server 8.2.3 needs node >= 20.19; found $(node --version 2>&1)." \
			"Install Node.js 20 or newer (e.g. from nodesource) and re-run."
}

# The IdP package is installed exactly as the committed lockfile says (npm ci), and again
# whenever the lockfile changed since the last install.
install_idp_package() {
	local stamp=e2e/node_modules/.package-lock.json
	if [ -f "$stamp" ] && [ "$stamp" -nt e2e/package-lock.json ] &&
		[ "$(node -p 'require("./e2e/node_modules/oauth2-mock-server/package.json").version' \
			2>/dev/null)" = 8.2.3 ]; then
		log "oauth2-mock-server 8.2.3 present in e2e/node_modules"
		return
	fi
	log "npm ci in e2e/"
	retry 3 npm ci --prefix e2e --no-audit --no-fund --loglevel=error
}

# go_tool NAME MODULE/PATH VERSION installs a Go program at VERSION unless that exact version is
# already on PATH (go version -m reads the module version from the binary).
go_tool() {
	local name="$1" pkg="$2" version="$3" bin
	bin="$(command -v "$name" || true)"
	if [ -n "$bin" ] && go version -m "$bin" 2>/dev/null |
		grep -qE "^[[:space:]]+mod[[:space:]].*[[:space:]]${version}([[:space:]]|$)"; then
		log "$name $version present: $bin"
		return
	fi
	log "go install $pkg@$version"
	retry 3 go install "$pkg@$version"
}

install_peers() {
	install_nginx
	install_node
	install_idp_package
	go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
}

lint() {
	log "gofmt and go vet"
	local unformatted
	unformatted="$(gofmt -l $(git ls-files '*.go'))"
	[ -z "$unformatted" ] || die "gofmt needed on: $unformatted"
	go vet ./...
}

unit_and_e2e() {
	log "go test -race ./... (end-to-end tests required)"
	EXTAUTHZ_E2E=1 go test -race -count=1 -timeout 20m ./...
}

# fuzz_one DIR NAME fuzzes one target. Go 1.26's fuzz coordinator can fail a target with a bare
# "context deadline exceeded" when -fuzztime ends while a worker is busy (golang/go#75804, fixed
# in Go 1.27); such a run found nothing and wrote no failing input, so it is run again, at most
# twice. Any other failure, or one that wrote a failing input to testdata/fuzz, fails at once.
# fuzz_inputs DIR NAME counts the failing inputs go test has written for a target.
fuzz_inputs() {
	if [ -d "$1/testdata/fuzz/$2" ]; then ls "$1/testdata/fuzz/$2" | wc -l; else echo 0; fi
}

fuzz_one() {
	local dir="$1" name="$2" out attempt before after
	for attempt in 1 2 3; do
		before="$(fuzz_inputs "$dir" "$name")"
		if out="$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir" 2>&1)"; then
			printf '%s\n' "$out" | tail -n 3
			return 0
		fi
		printf '%s\n' "$out"
		after="$(fuzz_inputs "$dir" "$name")"
		if [ "$after" != "$before" ] ||
			! printf '%s\n' "$out" | grep -qx '[[:space:]]*context deadline exceeded'; then
			die "fuzz $name in $dir failed"
		fi
		log "fuzz $name: the coordinator's end-of-fuzztime race (golang/go#75804), no input" \
			"written; attempt $attempt of 3"
	done
	die "fuzz $name in $dir failed three times"
}

# Each fuzz target needs its own invocation: go test accepts one -fuzz pattern per package run.
fuzz() {
	local file name dir
	while IFS=: read -r file name; do
		dir="$(dirname "$file")"
		log "fuzz $name in $dir for $FUZZTIME"
		fuzz_one "$dir" "$name"
	done < <(grep -rHoE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git \
		'^func Fuzz[A-Za-z0-9_]*' . |
		sed -E 's/:func /:/' | sort)
}

soak() {
	log "soak, short mode"
	timeout 10m go run ./cmd/extauthz-soak -short -race
}

main() {
	local start=$SECONDS
	# go install writes to GOBIN when set, else GOPATH/bin.
	local gobin
	gobin="$(go env GOBIN)"
	PATH="${gobin:-$(go env GOPATH)/bin}:$PATH"
	export PATH
	install_peers
	lint
	unit_and_e2e
	[ "${SKIP_FUZZ:-0}" = 1 ] || fuzz
	[ "${SKIP_SOAK:-0}" = 1 ] || soak
	log "PASS in $((SECONDS - start))s"
}

main "$@"
