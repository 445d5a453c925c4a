package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// idp is a running oauth2-mock-server started through idp/idp.mjs.
type idp struct {
	issuer string // http://127.0.0.1:PORT, also the token's iss
	kid    string // the signing key's id at start
	proc   *process
}

var idpReady = regexp.MustCompile(`idp ready port=(\d+) issuer=(\S+) kid=(\S+)`)

// startIDP starts the OpenID provider on a free loopback port with one key of alg.
func startIDP(t *testing.T, alg string) *idp {
	t.Helper()
	dir := idpPackageDir(t)
	cmd := exec.Command(peer(t, "node"), filepath.Join(dir, "idp", "idp.mjs"), "--alg", alg)
	cmd.Dir = dir
	p := startProcess(t, "idp", cmd)
	m := p.waitOutput(t, idpReady)
	return &idp{issuer: m[2], kid: m[3], proc: p}
}

// token returns a token signed by the provider's active key, valid for five minutes, with
// claims set over the provider's defaults (iss, iat, nbf, exp); a nil value removes a claim.
func (p *idp) token(t *testing.T, claims map[string]any) string {
	t.Helper()
	var got struct{ Token string }
	p.post(t, "/test/token", map[string]any{"claims": claims, "ttl": 300}, &got)
	if got.Token == "" {
		t.Fatal("idp /test/token returned no token")
	}
	return got.Token
}

// rotate makes a new key of alg the signing key and returns its kid.
func (p *idp) rotate(t *testing.T, alg string) string {
	t.Helper()
	var got struct{ Kid string }
	p.post(t, "/test/rotate", map[string]any{"alg": alg}, &got)
	return got.Kid
}

// idpStats counts the provider's answers.
type idpStats struct {
	JWKS      int `json:"jwks"`
	Discovery int `json:"discovery"`
}

// stats returns how often the JWKS and discovery documents were served.
func (p *idp) stats(t *testing.T) idpStats {
	t.Helper()
	var s idpStats
	p.do(t, http.MethodGet, "/test/stats", nil, &s)
	return s
}

func (p *idp) post(t *testing.T, path string, body, into any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("encoding %s request: %v", path, err)
	}
	p.do(t, http.MethodPost, path, bytes.NewReader(b), into)
}

func (p *idp) do(t *testing.T, method, path string, body io.Reader, into any) {
	t.Helper()
	req, err := http.NewRequest(method, p.issuer+path, body)
	if err != nil {
		t.Fatalf("idp %s %s: %v", method, path, err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("idp %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("idp %s %s: reading body: %v", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("idp %s %s: status %d: %s", method, path, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("idp %s %s: decoding %s: %v", method, path, raw, err)
	}
}

// getJSON fetches url and decodes its JSON body into v.
func getJSON(url string, v any) error {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// TestIDP checks the provider the other tests rely on: discovery names the loopback issuer
// (the package's command line would say localhost), tokens carry the claims asked for, and a
// rotation publishes the new key beside the old one.
func TestIDP(t *testing.T) {
	requireE2E(t)
	p := startIDP(t, "RS256")

	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(p.issuer+"/.well-known/openid-configuration", &disc); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if disc.Issuer != p.issuer || disc.JWKSURI != p.issuer+"/jwks" {
		t.Fatalf("discovery = %+v, want issuer %s and jwks_uri %s/jwks", disc, p.issuer, p.issuer)
	}

	header, claims := decodeJWT(t, p.token(t, map[string]any{"sub": "alice", "nbf": nil}))
	if header["kid"] != p.kid || header["alg"] != "RS256" {
		t.Errorf("token header = %v, want kid %s and alg RS256", header, p.kid)
	}
	if claims["sub"] != "alice" || claims["iss"] != p.issuer || claims["exp"] == nil {
		t.Errorf("token claims = %v, want sub alice, iss %s and an exp", claims, p.issuer)
	}
	if _, ok := claims["nbf"]; ok {
		t.Errorf("token claims = %v, want nbf removed", claims)
	}

	newKid := p.rotate(t, "ES256")
	var set struct{ Keys []struct{ Kid, Alg string } }
	if err := getJSON(p.issuer+"/jwks", &set); err != nil {
		t.Fatalf("jwks: %v", err)
	}
	kids := map[string]bool{}
	for _, k := range set.Keys {
		kids[k.Kid] = true
	}
	if len(set.Keys) != 2 || !kids[p.kid] || !kids[newKid] {
		t.Fatalf("jwks after rotation = %+v, want keys %s and %s", set.Keys, p.kid, newKid)
	}
	if h, _ := decodeJWT(t, p.token(t, nil)); h["kid"] != newKid || h["alg"] != "ES256" {
		t.Errorf("token header after rotation = %v, want kid %s and alg ES256", h, newKid)
	}
	if s := p.stats(t); s.JWKS != 1 || s.Discovery != 1 {
		t.Errorf("stats = %+v, want one JWKS and one discovery request", s)
	}
}
