package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// e2eEnv turns the end-to-end tests on. scripts/test.sh sets it after installing the peers.
const e2eEnv = "EXTAUTHZ_E2E"

// requireE2E skips t unless the end-to-end tests were asked for; once they were, every peer
// must be present.
func requireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv(e2eEnv) != "1" {
		t.Skipf("end-to-end test skipped: run scripts/test.sh (it installs nginx, grpcurl and "+
			"oauth2-mock-server, then sets %s=1)", e2eEnv)
	}
}

// peer returns the path of the program name, failing t when it is missing: in an end-to-end
// run a missing peer is a broken setup, not a reason to pass.
func peer(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("peer %s not found on PATH (scripts/test.sh installs it): %v", name, err)
	}
	return path
}

// idpPackageDir returns e2e/, where npm ci installed oauth2-mock-server, failing t when the
// package is missing.
func idpPackageDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatalf("resolving e2e directory: %v", err)
	}
	pkg := filepath.Join(dir, "node_modules", "oauth2-mock-server", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		t.Fatalf("oauth2-mock-server missing (run `npm ci --prefix e2e` or scripts/test.sh): %v",
			err)
	}
	return dir
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago, for programs
// that cannot report the port they bound themselves. Another process may take it in between;
// the ports come from the kernel's ephemeral range, so that is rare.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}
