package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"
)

// keepRotating is how many rotating keys the provider publishes at once: a
// rotation adds one and removes the oldest, so tokens signed with the
// previous key keep validating for one rotation, as real providers arrange.
const keepRotating = 2

// idp is a controllable fake OpenID provider serving discovery and a JWKS
// on loopback. It counts every hit and remembers when each key was first
// served, which is the earliest moment the service could have known it.
type idp struct {
	url string
	srv *http.Server

	mu       sync.Mutex    // guards the fields below
	mode     mode          // how requests are answered now
	changed  chan struct{} // closed when mode changes, to release hanging handlers
	anchor   *signer
	rotating []*signer // oldest first
	doc      jwksDoc
	served   map[string]time.Time // kid -> when a JWKS holding it was first served
	rotated  []rotation           // keys published by rotate, in order
	faultAt  time.Time            // when a fault mode was first set; zero: never
	hits     map[hit]int
}

// jwksDoc is one version of the published key set.
type jwksDoc struct {
	body []byte
	etag string
	kids []string
}

// rotation is a key published during the run.
type rotation struct {
	kid       string
	published time.Time
}

// hit names what a request asked for and how it was answered.
type hit struct {
	path string // "discovery" or "jwks"
	mode mode
}

// startIDP serves a provider publishing anchor and rotating keys on a free
// loopback port. Close stops it.
func startIDP(anchor *signer, rotating []*signer) (*idp, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake provider: listening: %w", err)
	}
	p := &idp{
		url:      "http://" + ln.Addr().String(),
		changed:  make(chan struct{}),
		anchor:   anchor,
		rotating: rotating,
		served:   make(map[string]time.Time),
		hits:     make(map[hit]int),
	}
	if err := p.publishLocked(); err != nil {
		ln.Close()
		return nil, err
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	// Serve returns when Close shuts the server down.
	go p.srv.Serve(ln) //nolint:errcheck // ErrServerClosed, by design
	return p, nil
}

// publishLocked rebuilds the JWKS document from the current keys.
func (p *idp) publishLocked() error {
	var doc jwksDoc
	var keys []map[string]any
	for _, s := range append([]*signer{p.anchor}, p.rotating...) {
		k, err := s.JWK()
		if err != nil {
			return err
		}
		keys = append(keys, k)
		doc.kids = append(doc.kids, s.KID)
	}
	body, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		return fmt.Errorf("fake provider: encoding JWKS: %w", err)
	}
	sum := sha256.Sum256(body)
	doc.body, doc.etag = body, `"`+hex.EncodeToString(sum[:8])+`"`
	p.doc = doc
	return nil
}

// setMode changes how requests are answered and releases hanging handlers.
func (p *idp) setMode(m mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	if m != modeOK && p.faultAt.IsZero() {
		p.faultAt = time.Now()
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// current returns the mode requests are answered in now.
func (p *idp) current() mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// rotate publishes s and withdraws the oldest rotating key beyond
// keepRotating.
func (p *idp) rotate(s *signer) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rotating = append(p.rotating, s)
	p.rotated = append(p.rotated, rotation{kid: s.KID, published: time.Now()})
	if n := len(p.rotating); n > keepRotating {
		p.rotating = p.rotating[n-keepRotating:]
	}
	return p.publishLocked()
}

// knowable reports whether the service must know kid at time at: a JWKS
// holding it was served one min_refresh_interval before, or it was
// published two intervals before and the provider had no fault from the
// start of the run until then, so no backoff can have held back the fetch
// that a token naming it asks for (issue 3, behaviour 4: a new kid may be
// refused for up to one window).
func (p *idp) knowable(kid string, at time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.served[kid]; ok && t.Add(minRefreshInterval).Before(at) {
		return true
	}
	for _, r := range p.rotated {
		due := r.published.Add(2 * minRefreshInterval)
		if r.kid == kid && due.Before(at) && (p.faultAt.IsZero() || !p.faultAt.Before(due)) {
			return true
		}
	}
	return false
}

// rotationLags returns, for each key published by rotate, how long after
// publication the service first fetched a JWKS holding it; -1 if it never did.
func (p *idp) rotationLags() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var lags []time.Duration
	for _, r := range p.rotated {
		lag := time.Duration(-1)
		if t, ok := p.served[r.kid]; ok {
			lag = t.Sub(r.published)
		}
		lags = append(lags, lag)
	}
	return lags
}

// counts returns a copy of the hit counters.
func (p *idp) counts() map[hit]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.hits)
}

// Close stops the server, releasing hanging handlers first.
func (p *idp) Close() error {
	p.setMode(modeOK)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("fake provider: shutting down: %w", err)
	}
	return p.srv.Close()
}
