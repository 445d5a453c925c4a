package jwks

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/extauthz/extauthz/metrics"
)

// harness runs one Cache against a fakeIdP and records what it reports.
type harness struct {
	t      *testing.T
	idp    *fakeIdP
	c      *Cache
	reg    *prometheus.Registry
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	ready   []bool    // OnReadyChange calls, in order
	readyCh chan bool // the same calls, for tests that wait for one
}

// newHarness builds a Cache for idp. Unless cfg says otherwise, the issuer
// is idp's, and requests go through an in-memory transport, so the harness
// works inside a synctest bubble, or, for an idp on a real server, through
// the cache's own HTTP client.
func newHarness(t *testing.T, idp *fakeIdP, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, idp: idp, reg: prometheus.NewRegistry(), logs: &syncBuffer{},
		readyCh: make(chan bool, 16)}
	m, err := metrics.New(h.reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = idp.issuer
	}
	if cfg.Name == "" {
		cfg.Name = "test"
	}
	if cfg.HTTPClient == nil && !idp.real {
		cfg.HTTPClient = &http.Client{Transport: memTransport{idp}}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Metrics = m
	cfg.OnReadyChange = func(r bool) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.ready = append(h.ready, r)
		select {
		case h.readyCh <- r:
		default:
			t.Error("more OnReadyChange calls than expected")
		}
	}
	if h.c, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	h.c.rand = func() float64 { return 0.5 }
	return h
}

// start runs the cache's owner until the test ends or stop is called.
func (h *harness) start() *harness {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() { // stopped by h.stop
		h.c.Run(ctx)
		close(h.done)
	}()
	h.t.Cleanup(h.stop)
	return h
}

// stop cancels Run and waits for it to return.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.done
	h.cancel = nil
}

// waitReady waits for the next OnReadyChange call, which must report want.
// It is for caches on a real network; in a bubble, use synctest.Wait.
func (h *harness) waitReady(want bool) {
	h.t.Helper()
	select {
	case got := <-h.readyCh:
		if got != want {
			h.t.Fatalf("OnReadyChange(%v), want %v", got, want)
		}
	case <-time.After(10 * time.Second):
		h.t.Fatalf("no OnReadyChange(%v) within 10s", want)
	}
}

func (h *harness) readyEvents() []bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bool(nil), h.ready...)
}

// metric returns the value of the counter or gauge name whose labels
// include the given name, value pairs; 0 when there is none.
func (h *harness) metric(name string, labels ...string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
	}
	return 0
}

func (h *harness) fetchErrors(kind string) float64 {
	return h.metric("extauthz_jwks_fetch_errors_total", "kind", kind)
}

func (h *harness) refreshes(result string) float64 {
	return h.metric("extauthz_jwks_refresh_total", "result", result)
}

// mustGet asks for kid with no deadline and fails unless it is found.
func (h *harness) mustGet(kid string) *Set {
	h.t.Helper()
	s, err := h.c.Get(context.Background(), kid)
	if err != nil {
		h.t.Fatalf("Get(%q) = %v, want the key", kid, err)
	}
	if _, ok := s.Lookup(kid); !ok && kid != "" {
		h.t.Fatalf("Get(%q) returned a set without it", kid)
	}
	return s
}

// getErr asks for kid with no deadline, fails unless Get returns want, and
// returns how long Get took (of fake time, in a synctest bubble).
func (h *harness) getErr(kid string, want error) time.Duration {
	h.t.Helper()
	start := time.Now()
	if _, err := h.c.Get(context.Background(), kid); !errors.Is(err, want) {
		h.t.Fatalf("Get(%q) = %v, want %v", kid, err, want)
	}
	return time.Since(start)
}

// advance moves a synctest bubble's fake clock forward by d, then waits
// until every goroutine of the bubble is blocked again.
func advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// syncBuffer is a bytes.Buffer safe for the owner's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// count returns how many log lines contain msg.
func (s *syncBuffer) count(msg string) int { return strings.Count(s.String(), msg) }
