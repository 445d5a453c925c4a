package devidp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T) *Issuer {
	t.Helper()
	i, err := New("127.0.0.1:0")
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- i.Serve() }()
	t.Cleanup(func() {
		if err := i.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown() error = %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v, want nil after Shutdown", err)
		}
	})
	return i
}

func fetch(t *testing.T, method, u, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestNewRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "10.1.2.3:0", "localhost:0", ":0", "example.com:80", "junk"} {
		if i, err := New(addr); err == nil {
			i.ln.Close()
			t.Errorf("New(%q) succeeded, want a loopback-only error", addr)
		}
	}
}

// keyFuncFromJWKS verifies tokens with the keys the issuer publishes, as a
// relying party would, independently of the issuer's own key structs.
func keyFuncFromJWKS(t *testing.T, i *Issuer) jwt.Keyfunc {
	t.Helper()
	_, body := fetch(t, "GET", i.URL()+"/jwks", "", "")
	var set struct{ Keys []map[string]string }
	if err := json.Unmarshal([]byte(body), &set); err != nil {
		t.Fatalf("JWKS %q: %v", body, err)
	}
	num := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWK number %q: %v", s, err)
		}
		return new(big.Int).SetBytes(b)
	}
	keys := map[string]any{}
	for _, k := range set.Keys {
		if k["use"] != "sig" || k["kid"] == "" {
			t.Errorf("JWK %v: want use sig and a kid", k)
		}
		switch k["kty"] {
		case "EC":
			keys[k["kid"]] = &ecdsa.PublicKey{Curve: elliptic.P256(), X: num(k["x"]), Y: num(k["y"])}
		case "RSA":
			keys[k["kid"]] = &rsa.PublicKey{N: num(k["n"]), E: int(num(k["e"]).Int64())}
		}
	}
	if len(keys) != 2 {
		t.Fatalf("JWKS holds %d usable keys, want 2: %s", len(keys), body)
	}
	return func(tok *jwt.Token) (any, error) {
		k, ok := keys[tok.Header["kid"].(string)]
		if !ok {
			return nil, fmt.Errorf("unknown kid %v", tok.Header["kid"])
		}
		return k, nil
	}
}

func TestDiscovery(t *testing.T) {
	i := start(t)
	code, body := fetch(t, "GET", i.URL()+"/.well-known/openid-configuration", "", "")
	if code != http.StatusOK {
		t.Fatalf("discovery status = %d, want 200", code)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != i.URL() || doc.JWKSURI != i.URL()+"/jwks" {
		t.Errorf("discovery = %+v, want issuer %s and jwks_uri %s/jwks", doc, i.URL(), i.URL())
	}
	if !strings.HasPrefix(i.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q, want http://127.0.0.1:PORT", i.URL())
	}
}

func TestToken(t *testing.T) {
	i := start(t)
	keyFunc := keyFuncFromJWKS(t, i)
	tests := []struct {
		name        string
		method      string
		query       string
		contentType string
		body        string
		wantAlg     string
		wantClaims  map[string]any
		wantExpired bool
	}{
		{name: "defaults", method: "GET", wantAlg: "ES256",
			wantClaims: map[string]any{"sub": DefaultSubject, "aud": DefaultAudience}},
		{name: "chosen sub and aud, RS256", method: "GET", query: "sub=alice&aud=orders&alg=RS256",
			wantAlg: "RS256", wantClaims: map[string]any{"sub": "alice", "aud": "orders"}},
		{name: "several audiences", method: "GET", query: "aud=a&aud=b", wantAlg: "ES256",
			wantClaims: map[string]any{"aud": []any{"a", "b"}}},
		{name: "form post", method: "POST", contentType: "application/x-www-form-urlencoded",
			body: "sub=bob", wantAlg: "ES256", wantClaims: map[string]any{"sub": "bob"}},
		{name: "json claims", method: "POST", contentType: "application/json",
			body: `{"scope":"read","sub":"carol"}`, wantAlg: "ES256",
			wantClaims: map[string]any{"sub": "carol", "scope": "read", "aud": DefaultAudience}},
		{name: "expired", method: "GET", query: "ttl=-1h", wantAlg: "ES256", wantExpired: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := fetch(t, tt.method, i.TokenURL()+"?"+tt.query, tt.contentType, tt.body)
			if code != http.StatusOK {
				t.Fatalf("token status = %d (%s), want 200", code, body)
			}
			claims := jwt.MapClaims{}
			tok, err := jwt.ParseWithClaims(strings.TrimSpace(body), claims, keyFunc,
				jwt.WithIssuer(i.URL()), jwt.WithExpirationRequired())
			if tt.wantExpired {
				if err == nil || !strings.Contains(err.Error(), "expired") {
					t.Fatalf("parse error = %v, want token expired", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if tok.Method.Alg() != tt.wantAlg {
				t.Errorf("alg = %s, want %s", tok.Method.Alg(), tt.wantAlg)
			}
			for k, want := range tt.wantClaims {
				if got := fmt.Sprint(claims[k]); got != fmt.Sprint(want) {
					t.Errorf("claim %s = %v, want %v", k, got, want)
				}
			}
			exp, _ := claims.GetExpirationTime()
			if d := time.Until(exp.Time); d < 50*time.Minute || d > 61*time.Minute {
				t.Errorf("exp is %v from now, want about %v", d, DefaultTTL)
			}
		})
	}
}

func TestTokenBadRequests(t *testing.T) {
	i := start(t)
	for _, q := range []url.Values{{"alg": {"HS256"}}, {"alg": {"none"}}, {"ttl": {"soon"}}} {
		if code, body := fetch(t, "GET", i.TokenURL()+"?"+q.Encode(), "", ""); code != http.StatusBadRequest {
			t.Errorf("GET /token?%s status = %d (%s), want 400", q.Encode(), code, body)
		}
	}
	if code, _ := fetch(t, "POST", i.TokenURL(), "application/json", "[1]"); code != http.StatusBadRequest {
		t.Errorf("POST /token with a JSON array: status = %d, want 400", code)
	}
	big := `{"x":"` + strings.Repeat("a", maxBody) + `"}`
	if code, _ := fetch(t, "POST", i.TokenURL(), "application/json", big); code != http.StatusBadRequest {
		t.Errorf("POST /token with an oversized body: status = %d, want 400", code)
	}
}
