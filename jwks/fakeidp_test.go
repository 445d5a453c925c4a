package jwks

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeIdP is a controllable OpenID provider: it serves discovery at
// /.well-known/openid-configuration and the JWKS at jwksPath from keys the
// test sets, counts hits, and fails on demand.
type fakeIdP struct {
	mu           sync.Mutex
	issuer       string           // base URL; discovery names it unless discoIssuer is set
	discoIssuer  string           // when set, the issuer discovery claims
	jwksPath     string           // where discovery points; default /keys
	discoJWKSURI string           // when set, the jwks_uri discovery names
	keys         []map[string]any // the JWKs served
	status       int              // when not 0, JWKS answers with this status
	body         []byte           // when set, served instead of the keys
	header       http.Header      // added to every JWKS answer
	etag         string           // when set, sent, and If-None-Match matching it gets 304
	lastModified string           // when set, sent, and If-Modified-Since equal to it gets 304
	hang         chan struct{}    // when set, JWKS requests block until it is closed
	latency      time.Duration    // JWKS requests take this long before answering
	killed       bool             // connections fail
	jwksHits     int
	discoHits    int
	hitTimes     []time.Time   // of JWKS hits
	requests     []http.Header // headers of JWKS requests
	hits         chan struct{} // when set, receives one value per JWKS hit (non-blocking)
	extra        map[string]http.HandlerFunc
	real         bool // served by an httptest.Server, not the in-memory transport
}

func newFakeIdP(issuer string, keys ...map[string]any) *fakeIdP {
	return &fakeIdP{issuer: issuer, jwksPath: "/keys", keys: keys,
		extra: map[string]http.HandlerFunc{}}
}

func (p *fakeIdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.killed {
		p.mu.Unlock()
		kill(w)
		return
	}
	if r.URL.Path == "/.well-known/openid-configuration" {
		p.discoHits++
		iss := p.issuer
		if p.discoIssuer != "" {
			iss = p.discoIssuer
		}
		uri := p.issuer + p.jwksPath
		if p.discoJWKSURI != "" {
			uri = p.discoJWKSURI
		}
		doc := map[string]string{"issuer": iss, "jwks_uri": uri}
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
		return
	}
	if h := p.extra[r.URL.Path]; h != nil {
		p.mu.Unlock()
		h(w, r)
		return
	}
	if r.URL.Path != p.jwksPath {
		p.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	p.jwksHits++
	p.hitTimes = append(p.hitTimes, time.Now())
	p.requests = append(p.requests, r.Header.Clone())
	if p.hits != nil {
		select {
		case p.hits <- struct{}{}:
		default:
		}
	}
	hang, latency := p.hang, p.latency
	p.mu.Unlock()

	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
			return
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, vs := range p.header {
		w.Header()[k] = vs
	}
	if p.etag != "" {
		w.Header().Set("ETag", p.etag)
		if r.Header.Get("If-None-Match") == p.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if p.lastModified != "" {
		w.Header().Set("Last-Modified", p.lastModified)
		if r.Header.Get("If-Modified-Since") == p.lastModified {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if p.status != 0 {
		w.WriteHeader(p.status)
		return
	}
	body := p.body
	if body == nil {
		var err error
		if body, err = json.Marshal(map[string]any{"keys": p.keys}); err != nil {
			panic(err)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Write(body)
}

// kill breaks the connection of a real server; the in-memory transport
// checks isKilled before calling the handler.
func kill(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (p *fakeIdP) isKilled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killed
}

// set runs f with the lock held, to change the provider's behaviour.
func (p *fakeIdP) set(f func(p *fakeIdP)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *fakeIdP) hitCount() (jwks, disco int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksHits, p.discoHits
}

func (p *fakeIdP) jwksCount() int {
	n, _ := p.hitCount()
	return n
}

// startHang makes JWKS requests block and returns the function that
// releases them; calling it again does nothing.
func (p *fakeIdP) startHang() (release func()) {
	ch := make(chan struct{})
	p.set(func(p *fakeIdP) { p.hang = ch })
	return sync.OnceFunc(func() {
		p.set(func(p *fakeIdP) { p.hang = nil })
		close(ch)
	})
}

// memTransport runs a handler in memory: no sockets, so the cache can run
// inside a testing/synctest bubble, whose clock moves only while every
// goroutine is blocked on something of the bubble. It honours the request's
// context like a real transport.
type memTransport struct{ h http.Handler }

func (t memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if k, ok := t.h.(interface{ isKilled() bool }); ok && k.isKilled() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	done := make(chan *http.Response, 1)
	go func() { // ends when the handler does; handlers honour the request's context
		rec := httptest.NewRecorder()
		t.h.ServeHTTP(rec, req)
		done <- rec.Result()
	}()
	select {
	case resp := <-done:
		return resp, nil
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
}

// realIdP serves p on a loopback httptest.Server and sets p's issuer to it.
func realIdP(t *testing.T, p *fakeIdP) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.set(func(p *fakeIdP) { p.issuer, p.real = srv.URL, true })
	return srv
}
