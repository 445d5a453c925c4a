package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// service is a running extauthz process.
type service struct {
	cmd       *exec.Cmd
	grpcAddr  string
	adminAddr string
	logPath   string
	exited    chan struct{} // closed when the process has exited
	waitErr   error         // cmd.Wait's result; read only after exited is closed
	client    *http.Client
}

// configTemplate is the service's configuration: one provider, the soak's
// fake IdP, with the short intervals that make a minute of flapping matter.
const configTemplate = `listen:
  grpc: %s
  http: %s
  admin: %s
shutdown_timeout: 3s
log:
  level: info
  format: text
providers:
  - name: soak
    issuer: %s
    audiences: [%s]
    algorithms: [RS256, ES256]
    refresh_interval: 2s
    min_refresh_interval: %s
    max_wait: 200ms
    fetch_timeout: 1s
`

// minRefreshInterval is the configured min_refresh_interval, also the
// judge's grace for a key the provider has just served.
const minRefreshInterval = time.Second

// startService writes a configuration into dir and starts bin serve with
// it, logging to dir/extauthz.log.
func startService(bin, dir, issuer string) (*service, error) {
	addrs, err := freeAddrs(3)
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(configTemplate,
		addrs[0], addrs[1], addrs[2], issuer, audience, minRefreshInterval)
	cfgPath := filepath.Join(dir, "extauthz.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("writing config: %w", err)
	}
	logPath := filepath.Join(dir, "extauthz.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating service log: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor

	s := &service{
		cmd:      exec.Command(bin, "serve", "--config", cfgPath),
		grpcAddr: addrs[0], adminAddr: addrs[2], logPath: logPath,
		exited: make(chan struct{}),
		client: &http.Client{Timeout: 2 * time.Second},
	}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	// Wait returns when the process exits; stop and the checks read the result.
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// freeAddrs returns n loopback addresses whose ports were free a moment ago:
// the kernel picks them for listeners on port 0, which are then closed.
func freeAddrs(n int) ([]string, error) {
	var addrs []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// running returns an error when the process has exited.
func (s *service) running() error {
	select {
	case <-s.exited:
		return fmt.Errorf("extauthz exited (%v); log: %s", s.waitErr, s.logPath)
	default:
		return nil
	}
}

// stop sends SIGTERM and requires exit status 0 within timeout; after that
// the process is killed.
func (s *service) stop(timeout time.Duration) error {
	if err := s.running(); err != nil {
		return err
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("sending SIGTERM: %w", err)
	}
	select {
	case <-s.exited:
	case <-time.After(timeout):
		s.cmd.Process.Kill() //nolint:errcheck // reported below either way
		<-s.exited
		return fmt.Errorf("extauthz did not exit within %s of SIGTERM; killed", timeout)
	}
	var exitErr *exec.ExitError
	if errors.As(s.waitErr, &exitErr) {
		return fmt.Errorf("extauthz exited with status %d after SIGTERM; log: %s",
			exitErr.ExitCode(), s.logPath)
	}
	return s.waitErr
}
