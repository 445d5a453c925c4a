package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// audience is the audience the service requires and the provider's tokens carry.
const audience = "orders-api"

// build holds the extauthz binary, built once per test run by extauthzBinary.
var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// binEnv names a prebuilt extauthz binary to test instead of building ./cmd/extauthz.
const binEnv = "EXTAUTHZ_E2E_BIN"

// extauthzBinary builds ./cmd/extauthz with the race detector, so that a data race in the
// real process makes it exit non-zero and fails the shutdown test.
func extauthzBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv(binEnv); bin != "" {
		return bin
	}
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "extauthz-e2e-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "extauthz")
		cmd := exec.Command("go", "build", "-race", "-o", build.path, "./cmd/extauthz")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/extauthz: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// service is a running extauthz process.
type service struct {
	grpcAddr, httpAddr, adminAddr string
	proc                          *process
}

// startService runs `extauthz serve --config FILE` trusting p, and waits for /readyz.
func startService(t *testing.T, p *idp) *service {
	t.Helper()
	s := &service{grpcAddr: freeAddr(t), httpAddr: freeAddr(t), adminAddr: freeAddr(t)}
	// min_refresh_interval is the one-second floor, so a rotation test waits at most that
	// long for an on-demand fetch; refresh_interval is long enough that no scheduled refresh
	// happens during a test and every fetch after start-up was asked for by a token.
	cfg := fmt.Sprintf(`listen:
  grpc: %s
  http: %s
  admin: %s
log:
  level: debug
providers:
  - name: mock
    issuer: %s
    audiences: [%s]
    clock_skew: 5s
    refresh_interval: 1h
    min_refresh_interval: 1s
`, s.grpcAddr, s.httpAddr, s.adminAddr, p.issuer, audience)
	file := filepath.Join(t.TempDir(), "extauthz.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(extauthzBinary(t), "serve", "--config", file)
	s.proc = startProcess(t, "extauthz", cmd)
	s.waitReady(t)
	return s
}

// waitReady polls /readyz until it answers 200: the service then holds the provider's keys.
func (s *service) waitReady(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get("http://" + s.adminAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if done, exitErr := s.proc.exited(); done {
			t.Fatalf("extauthz exited before it was ready: %v", exitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("extauthz not ready within %v (last: %v, %v)", startTimeout, resp, err)
		}
		<-tick.C
	}
}

// stack is the service under test with the provider it trusts.
type stack struct {
	idp *idp
	svc *service
}

func startStack(t *testing.T) *stack {
	t.Helper()
	requireE2E(t)
	p := startIDP(t, "RS256")
	return &stack{idp: p, svc: startService(t, p)}
}
