package main

import (
	"encoding/json"
	"net/http"
	"time"
)

// mode is how the fake provider answers: the faults of issue 3's proof.
type mode int

// Modes. modeOK is also "revive".
const (
	modeOK      mode = iota
	modeStatus       // 500, 502 or 503
	modeGarbage      // 200 with a body that is not the JSON asked for
	modeHang         // no answer until the client gives up or the mode changes
	modeDrop         // the connection is closed without a response
	numModes
)

var modeNames = [numModes]string{"ok", "5xx", "garbage", "hang", "drop"}

func (m mode) String() string { return modeNames[m] }

// garbage bodies alternate between truncated JSON and an HTML error page
// sent as 200, two ways real providers and proxies break.
var garbage = [][]byte{
	[]byte(`{"keys":[{"kty":"RSA","kid":`),
	[]byte("<html><body>502 Bad Gateway</body></html>"),
}

// ServeHTTP answers /.well-known/openid-configuration and /jwks per the mode.
func (p *idp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := "jwks"
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		path = "discovery"
	case "/jwks":
	default:
		http.NotFound(w, r)
		return
	}
	p.mu.Lock()
	m, changed, doc := p.mode, p.changed, p.doc
	p.hits[hit{path, m}]++
	n := p.hits[hit{path, m}]
	p.mu.Unlock()

	switch m {
	case modeStatus:
		w.WriteHeader([]int{500, 502, 503}[n%3])
	case modeGarbage:
		w.Header().Set("Content-Type", "application/json")
		w.Write(garbage[n%len(garbage)]) //nolint:errcheck // the client may be gone
	case modeHang:
		select {
		case <-r.Context().Done():
		case <-changed:
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	case modeDrop:
		drop(w)
	case modeOK:
		if path == "discovery" {
			p.serveDiscovery(w)
			return
		}
		p.serveJWKS(w, r, doc)
	}
}

// drop closes the connection without writing a response.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if conn, _, err := hj.Hijack(); err == nil {
		conn.Close()
	}
}

func (p *idp) serveDiscovery(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{ //nolint:errcheck // the client may be gone
		"issuer":   p.url,
		"jwks_uri": p.url + "/jwks",
	})
}

// serveJWKS serves doc, or 304 when the client holds it already, and then
// records doc's keys as served: from now on the service can know them.
func (p *idp) serveJWKS(w http.ResponseWriter, r *http.Request, doc jwksDoc) {
	w.Header().Set("ETag", doc.etag)
	if r.Header.Get("If-None-Match") == doc.etag {
		w.WriteHeader(http.StatusNotModified)
	} else {
		w.Header().Set("Content-Type", "application/json")
		if _, err := w.Write(doc.body); err != nil {
			return
		}
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, kid := range doc.kids {
		if _, ok := p.served[kid]; !ok {
			p.served[kid] = now
		}
	}
}
