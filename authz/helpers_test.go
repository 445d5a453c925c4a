package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/extauthz/extauthz/jwks"
)

// Fixed instants and names shared by the tests.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

const (
	testIssuer   = "https://idp.example.com"
	testAudience = "orders-api"
)

// keyring holds the test's signing keys, generated once per test binary
// because RSA generation is slow under -race.
type keyring struct {
	rsa, rsa2, rsaWeak *rsa.PrivateKey
	p256, p384, p521   *ecdsa.PrivateKey
	ed                 ed25519.PrivateKey
}

var testKeys = sync.OnceValue(func() *keyring {
	mustRSA := func(bits int) *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	}
	mustEC := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &keyring{
		rsa: mustRSA(2048), rsa2: mustRSA(2048), rsaWeak: mustRSA(1024),
		p256: mustEC(elliptic.P256()), p384: mustEC(elliptic.P384()), p521: mustEC(elliptic.P521()),
		ed: ed,
	}
})

// signer returns the private key for alg among the test's keys.
func (k *keyring) signer(alg string) any {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return k.rsa
	case alg == "ES256":
		return k.p256
	case alg == "ES384":
		return k.p384
	case alg == "ES512":
		return k.p521
	case alg == "EdDSA":
		return k.ed
	}
	return nil
}

// kidFor names the test key that signs alg.
func kidFor(alg string) string {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return "rsa-1"
	case alg == "EdDSA":
		return "ed-1"
	}
	return "ec-" + alg[2:]
}

// publicKeys is the provider's default key set: one key of each kind.
func (k *keyring) publicKeys() []*jwks.Key {
	return []*jwks.Key{
		{ID: "rsa-1", Public: &k.rsa.PublicKey},
		{ID: "ec-256", Public: &k.p256.PublicKey},
		{ID: "ec-384", Public: &k.p384.PublicKey},
		{ID: "ec-512", Public: &k.p521.PublicKey},
		{ID: "ed-1", Public: k.ed.Public()},
	}
}

// b64 is the base64url encoding of compact JWS segments.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// mustJSON marshals v or fails the test binary.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// signRaw builds a compact JWS over the given header and claims JSON text
// (taken verbatim, so tests can send any bytes), signed with key using the
// golang-jwt method named alg. An alg without a method ("none", nonsense)
// gets an empty signature.
func signRaw(t testing.TB, alg, header, claims string, key any) string {
	t.Helper()
	input := b64([]byte(header)) + "." + b64([]byte(claims))
	m := jwt.GetSigningMethod(alg)
	if m == nil || alg == "none" {
		return input + "."
	}
	sig, err := m.Sign(input, key)
	if err != nil {
		t.Fatalf("signing %s: %v", alg, err)
	}
	return input + "." + b64(sig)
}

// sign builds a token from header fields and claims with alg and key.
func sign(t testing.TB, alg string, hdr, claims map[string]any, key any) string {
	t.Helper()
	h := map[string]any{"alg": alg}
	for k, v := range hdr {
		if v == nil {
			delete(h, k)
			continue
		}
		h[k] = v
	}
	return signRaw(t, alg, mustJSON(h), mustJSON(claims), key)
}

// validClaims returns claims valid at testNow; changes replace or (nil)
// delete claims.
func validClaims(changes map[string]any) map[string]any {
	c := map[string]any{
		"iss": testIssuer,
		"aud": testAudience,
		"sub": "alice",
		"iat": testNow.Add(-time.Minute).Unix(),
		"nbf": testNow.Add(-time.Minute).Unix(),
		"exp": testNow.Add(5 * time.Minute).Unix(),
	}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// validToken returns a token the default test server allows.
func validToken(t testing.TB, alg string) string {
	t.Helper()
	k := testKeys()
	return sign(t, alg, map[string]any{"kid": kidFor(alg)}, validClaims(nil), k.signer(alg))
}

// fakeKeys is a KeySource holding a fixed set, or failing with err. It
// records the kids it was asked for.
type fakeKeys struct {
	keys []*jwks.Key
	err  error

	mu   sync.Mutex
	asks []string
}

func (f *fakeKeys) Get(ctx context.Context, kid string) (*jwks.Set, error) {
	f.mu.Lock()
	f.asks = append(f.asks, kid)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, errors.Join(jwks.ErrKeysUnavailable, err)
	}
	if f.err != nil {
		return nil, f.err
	}
	set := jwks.NewSet(f.keys, testNow)
	if _, ok := set.Lookup(kid); kid != "" && !ok {
		return nil, jwks.ErrUnknownKey
	}
	return set, nil
}

func (f *fakeKeys) askedKids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asks...)
}

// newTestServer returns a Server with one provider over fakeKeys holding the
// test's public keys; change, when not nil, adjusts the configuration.
func newTestServer(t testing.TB, change func(*Config)) (*Server, *fakeKeys) {
	t.Helper()
	keys := &fakeKeys{keys: testKeys().publicKeys()}
	cfg := Config{
		Providers: []Provider{{
			Name:      "main",
			Issuer:    testIssuer,
			Audiences: []string{testAudience, "other-api"},
			ClockSkew: 30 * time.Second,
			Keys:      keys,
		}},
		Now: func() time.Time { return testNow },
	}
	if change != nil {
		change(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, keys
}

// checkRequest builds a CheckRequest carrying headers in the headers map.
func checkRequest(headers map[string]string) *authv3.CheckRequest {
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Request: &authv3.AttributeContext_Request{
			Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Path: "/", Headers: headers},
		},
	}}
}

// reasonOf reads the decision's reason from a CheckResponse.
func reasonOf(resp *authv3.CheckResponse) Reason {
	if resp.GetStatus().GetCode() == 0 && resp.GetOkResponse() != nil {
		return ReasonOK
	}
	return Reason(resp.GetStatus().GetMessage())
}

// checkToken sends token as a bearer token through Check and returns the
// decision's reason.
func checkToken(t testing.TB, s *Server, token string) Reason {
	t.Helper()
	return checkHeaders(t, s, map[string]string{"authorization": "Bearer " + token})
}

// checkHeaders sends headers through Check and returns the reason.
func checkHeaders(t testing.TB, s *Server, headers map[string]string) Reason {
	t.Helper()
	resp, err := s.Check(context.Background(), checkRequest(headers))
	if err != nil {
		t.Fatalf("Check: error %v, want a CheckResponse", err)
	}
	return reasonOf(resp)
}

// assertStillAllows proves that s, after hostile input, still allows a
// valid token.
func assertStillAllows(t *testing.T, s *Server) {
	t.Helper()
	if got := checkToken(t, s, validToken(t, "ES256")); got != ReasonOK {
		t.Fatalf("after hostile input: Check(valid ES256) reason = %q, want %q", got, ReasonOK)
	}
}

// pemPublicKey returns the PEM text of pub, the bytes an attacker who
// fetched the JWKS would use as an HMAC secret.
func pemPublicKey(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("MarshalPKIXPublicKey: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// b64Decode decodes a base64url segment.
func b64Decode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
