package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/extauthz/extauthz/config"
	"github.com/extauthz/extauthz/internal/devidp"
)

// runMainEnv makes the test binary act as extauthz itself, so a test can
// start the real process and send it real signals.
const runMainEnv = "EXTAUTHZ_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for the service, so a broken build fails
// instead of hanging.
const waitTimeout = 30 * time.Second

// watchBuffer collects output and lets a test wait for a string in it.
type watchBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write; guarded by mu
}

func newWatchBuffer() *watchBuffer { return &watchBuffer{changed: make(chan struct{})} }

func (b *watchBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

func (b *watchBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the output holds s and returns the output.
func (b *watchBuffer) waitFor(t *testing.T, s string) string {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		b.mu.Lock()
		text, changed := b.buf.String(), b.changed
		b.mu.Unlock()
		if strings.Contains(text, s) {
			return text
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("output has no %q after %v:\n%s", s, waitTimeout, text)
		}
	}
}

// startIssuer runs a development issuer for one test.
func startIssuer(t *testing.T) *devidp.Issuer {
	t.Helper()
	idp, err := devidp.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- idp.Serve() }()
	t.Cleanup(func() {
		idp.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("issuer Serve() = %v", err)
		}
	})
	return idp
}

// testConfig trusts issuer and listens on free loopback ports.
func testConfig(t *testing.T, issuer string) *config.Config {
	t.Helper()
	cfg := &config.Config{
		Listen: config.Listen{GRPC: "127.0.0.1:0", HTTP: "127.0.0.1:0", Admin: "127.0.0.1:0"},
		Providers: []config.Provider{{
			Name: "dev", Issuer: issuer, Audiences: []string{devidp.DefaultAudience},
			MinRefreshInterval: config.Duration(time.Second),
		}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testLogger writes the service's logs to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// running is a service started by startService.
type running struct {
	svc  *service
	stop context.CancelFunc // plays SIGTERM
	done chan error         // run's result
}

func startService(t *testing.T, cfg *config.Config, opts options) *running {
	t.Helper()
	svc, err := newService(cfg, testLogger(t), opts)
	if err != nil {
		t.Fatalf("newService() error = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("run() = %v, want nil", err)
		}
	})
	return r
}

func (r *running) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-r.svc.ready.first:
	case <-time.After(waitTimeout):
		t.Fatalf("service not ready after %v", waitTimeout)
	}
}

// grpcClient dials addr without TLS.
func grpcClient(t *testing.T, addr string) (*grpc.ClientConn, authv3.AuthorizationClient) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, authv3.NewAuthorizationClient(conn)
}

// checkRequest is what Envoy sends for a request with the given
// Authorization header (none when empty).
func checkRequest(authorization string) *authv3.CheckRequest {
	headers := map[string]string{":path": "/orders", ":method": "GET"}
	if authorization != "" {
		headers["authorization"] = authorization
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Request: &authv3.AttributeContext_Request{
			Http: &authv3.AttributeContext_HttpRequest{Headers: headers},
		},
	}}
}

// get performs one HTTP GET on a connection of its own and returns the
// response with its body read.
func get(t *testing.T, url, authorization string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: waitTimeout}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// mint returns a token from the issuer's token endpoint at url.
func mint(t *testing.T, url string) string {
	t.Helper()
	resp, body := get(t, url, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, body)
	}
	return strings.TrimSpace(body)
}

// headerValue returns the value of the first header named name.
func headerValue(hs []*corev3.HeaderValueOption, name string) string {
	for _, h := range hs {
		if h.GetHeader().GetKey() == name {
			return h.GetHeader().GetValue()
		}
	}
	return ""
}
