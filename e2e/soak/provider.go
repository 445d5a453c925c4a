package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// mode is how the fake provider answers JWKS requests.
type mode int32

const (
	healthy mode = iota
	failing      // HTTP 500
	garbage      // 200 with a body that is not a JWKS
	hanging      // no answer for hangFor, then 503
)

func (m mode) String() string {
	return [...]string{"healthy", "failing", "garbage", "hanging"}[m]
}

// hangFor bounds a hanging answer, so the soak never leaves a request behind for long.
const hangFor = 3 * time.Second

// signingKey is one of the provider's keys and when the service could first have it.
type signingKey struct {
	kid  string
	priv *ecdsa.PrivateKey
	// served is when a successful JWKS answer first carried the key; zero until then.
	served time.Time
}

// provider is a controllable OpenID provider: discovery plus a JWKS of ES256 keys that only
// grows (rotation adds a key and signs with it), answering as mode says.
type provider struct {
	srv  *httptest.Server
	mode atomic.Int32

	fetches   atomic.Int64 // JWKS requests, whatever the answer
	successes atomic.Int64 // JWKS requests answered with the keys

	mu   sync.Mutex
	keys []*signingKey // guarded by mu; the last one signs new tokens
}

func newProvider() (*provider, error) {
	p := &provider{}
	if err := p.rotate(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("/jwks", p.jwks)
	p.srv = httptest.NewServer(mux)
	return p, nil
}

func (p *provider) issuer() string { return p.srv.URL }

func (p *provider) close() { p.srv.Close() }

// rotate adds a new key, which signs tokens from now on.
func (p *provider) rotate() error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating key: %w", err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return fmt.Errorf("generating kid: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, &signingKey{kid: hex.EncodeToString(id), priv: priv})
	return nil
}

// rotations returns how many keys were added after the first.
func (p *provider) rotations() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.keys) - 1
}

func (p *provider) discovery(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{ // A failed write is the client's problem.
		"issuer":   p.issuer(),
		"jwks_uri": p.issuer() + "/jwks",
	})
}

func (p *provider) jwks(w http.ResponseWriter, r *http.Request) {
	p.fetches.Add(1)
	switch mode(p.mode.Load()) {
	case failing:
		http.Error(w, "provider failing", http.StatusInternalServerError)
		return
	case garbage:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `<html>maintenance</html>`)
		return
	case hanging:
		select {
		case <-r.Context().Done():
		case <-time.After(hangFor):
		}
		http.Error(w, "provider hung", http.StatusServiceUnavailable)
		return
	}

	p.mu.Lock()
	now := time.Now()
	doc := map[string][]map[string]string{"keys": nil}
	for _, k := range p.keys {
		if k.served.IsZero() {
			k.served = now
		}
		doc["keys"] = append(doc["keys"], publicJWK(k))
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc) // A failed write is the client's problem.
	p.successes.Add(1)
}

func publicJWK(k *signingKey) map[string]string {
	// An uncompressed P-256 point: 0x04, then X and Y in 32 bytes each.
	point, err := k.priv.PublicKey.Bytes()
	if err != nil {
		panic(fmt.Sprintf("encoding a generated P-256 key: %v", err))
	}
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]string{
		"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": k.kid,
		"x": b64(point[1:33]), "y": b64(point[33:65]),
	}
}

// settle is how long after a JWKS answer carried a key the service must accept tokens it
// signed: the fetch's answer is in flight and then published.
const settle = 250 * time.Millisecond

// keyFor returns a key to sign with: established asks for a key the service has held for at
// least settle (nil when there is none yet), otherwise the newest key.
func (p *provider) keyFor(established bool, pick func(int) int) *signingKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !established {
		return p.keys[len(p.keys)-1]
	}
	var ready []*signingKey
	for _, k := range p.keys {
		if !k.served.IsZero() && time.Since(k.served) > settle {
			ready = append(ready, k)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	return ready[pick(len(ready))]
}

// sign returns a token for the soak's audience signed by k, naming kid in its header.
func (p *provider) sign(k *signingKey, kid string, exp time.Time) (string, error) {
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": p.issuer(), "sub": "soak", "aud": audience,
		"iat": now.Add(-time.Minute).Unix(), "exp": exp.Unix(),
	})
	tok.Header["kid"] = kid
	return tok.SignedString(k.priv)
}
