package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// audience is what the service requires and the fake provider's tokens carry.
const audience = "soak-api"

// service is the extauthz binary under test.
type service struct {
	grpcAddr, adminAddr string
	cmd                 *exec.Cmd
	out                 *lockedBuffer
	done                chan struct{} // closed when the process exited; err is set then
	err                 error
}

// buildService builds ./cmd/extauthz with the race detector into dir.
func buildService(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	bin := filepath.Join(dir, "extauthz")
	cmd := exec.Command("go", "build", "-race", "-o", bin, "./cmd/extauthz")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/extauthz: %w\n%s", err, out)
	}
	return bin, nil
}

// startService runs bin trusting issuer and waits until it is ready. Refreshes are frequent
// so that the provider's failures reach the cache often during a short soak.
func startService(bin, dir, issuer string) (*service, error) {
	s := &service{out: &lockedBuffer{}, done: make(chan struct{})}
	var addrs [3]string
	for i := range addrs {
		a, err := freeAddr()
		if err != nil {
			return nil, err
		}
		addrs[i] = a
	}
	s.grpcAddr, s.adminAddr = addrs[0], addrs[2]
	cfg := fmt.Sprintf(`listen: {grpc: %q, http: %q, admin: %q}
log: {level: warn}
providers:
  - name: soak
    issuer: %s
    audiences: [%s]
    algorithms: [ES256]
    clock_skew: 5s
    refresh_interval: 2s
    min_refresh_interval: 1s
`, addrs[0], addrs[1], addrs[2], issuer, audience)
	file := filepath.Join(dir, "extauthz.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--config", file)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting extauthz: %w", err)
	}
	// Ends when the process exits; stop makes sure it does.
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(30 * time.Second); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

func (s *service) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		resp, err := client.Get("http://" + s.adminAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("extauthz exited before it was ready: %v", s.err)
		case <-tick.C:
		}
	}
	return fmt.Errorf("extauthz not ready within %v", timeout)
}

// crashed returns the exit error when the process has exited, nil while it runs.
func (s *service) crashed() error {
	select {
	case <-s.done:
		return fmt.Errorf("extauthz exited during the soak: %w", errOr(s.err))
	default:
		return nil
	}
}

// stop sends SIGTERM and requires exit status 0 within timeout.
func (s *service) stop(timeout time.Duration) error {
	if err := s.crashed(); err != nil {
		return err
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("sending SIGTERM: %w", err)
	}
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("extauthz after SIGTERM: %w", s.err)
		}
		return nil
	case <-time.After(timeout):
		s.kill()
		return fmt.Errorf("extauthz still running %v after SIGTERM", timeout)
	}
}

func (s *service) kill() {
	_ = s.cmd.Process.Kill() // An error means it already exited.
	<-s.done
}

func errOr(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// lockedBuffer keeps the service's output for the report when something fails.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitCtx is a context ended by the service's exit, so traffic stops at a crash.
func (s *service) waitCtx(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	// Ends with ctx: the caller cancels it when the soak ends.
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
