package authz

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/extauthz/extauthz/jwks"
)

// hostileCase is one hostile token and the reason it must be denied for.
type hostileCase struct {
	name       string
	giveToken  string
	wantReason Reason
}

// runHostile checks every case against one server and, after each, proves
// the server still allows a valid token.
func runHostile(t *testing.T, s *Server, cases []hostileCase) {
	t.Helper()
	for _, c := range cases {
		if got := checkToken(t, s, c.giveToken); got != c.wantReason {
			t.Errorf("Check(%s) reason = %q, want %q", c.name, got, c.wantReason)
		}
		assertStillAllows(t, s)
	}
}

func TestAlgConfusion(t *testing.T) {
	k := testKeys()
	s, _ := newTestServer(t, func(c *Config) {
		keys := c.Providers[0].Keys.(*fakeKeys)
		keys.keys = append(keys.keys,
			&jwks.Key{ID: "rsa-rs256-only", Algorithm: "RS256", Public: &k.rsa2.PublicKey},
			&jwks.Key{ID: "rsa-enc", Use: "enc", Public: &k.rsa2.PublicKey},
			&jwks.Key{ID: "rsa-sign-only", KeyOps: []string{"sign"}, Public: &k.rsa2.PublicKey},
			&jwks.Key{ID: "rsa-verify", KeyOps: []string{"verify"}, Public: &k.rsa2.PublicKey},
			&jwks.Key{ID: "rsa-weak", Public: &k.rsaWeak.PublicKey},
			&jwks.Key{ID: "ed-fully-specified", Algorithm: "Ed25519", Public: k.ed.Public()},
			&jwks.Key{ID: "rsa-says-ed25519", Algorithm: "Ed25519", Public: &k.rsa2.PublicKey},
		)
		c.Providers[0].Algorithms = []string{"RS256", "PS256", "ES256", "ES384", "EdDSA"}
	})
	claims := validClaims(nil)
	kid := func(id string) map[string]any { return map[string]any{"kid": id} }
	pemKey := pemPublicKey(t, &k.rsa.PublicKey)
	cases := []hostileCase{
		{"alg none", sign(t, "none", kid("rsa-1"), claims, nil), ReasonAlgorithmNotAllowed},
		{"alg None", sign(t, "None", kid("rsa-1"), claims, nil), ReasonAlgorithmNotAllowed},
		{"alg none, no kid", sign(t, "none", nil, claims, nil), ReasonAlgorithmNotAllowed},
		{"HS256 keyed with the PEM public key", sign(t, "HS256", kid("rsa-1"), claims, pemKey),
			ReasonAlgorithmNotAllowed},
		{"HS512 keyed with the modulus", sign(t, "HS512", kid("rsa-1"), claims, k.rsa.N.Bytes()),
			ReasonAlgorithmNotAllowed},
		{"alg outside the allow-list", sign(t, "RS512", kid("rsa-1"), claims, k.rsa),
			ReasonAlgorithmNotAllowed},
		{"alg missing", signRaw(t, "ES256", `{"kid":"ec-256"}`, mustJSON(claims), k.p256),
			ReasonMalformedToken},
		{"alg not a string", signRaw(t, "ES256", `{"alg":["ES256"]}`, mustJSON(claims), k.p256),
			ReasonMalformedToken},
		{"RS256 over an EC key", sign(t, "RS256", kid("ec-256"), claims, k.rsa), ReasonKeyMismatch},
		{"ES256 over an RSA key", sign(t, "ES256", kid("rsa-1"), claims, k.p256), ReasonKeyMismatch},
		{"EdDSA over an EC key", sign(t, "EdDSA", kid("ec-256"), claims, k.ed), ReasonKeyMismatch},
		{"ES256 over a P-384 key", sign(t, "ES256", kid("ec-384"), claims, k.p256),
			ReasonKeyMismatch},
		{"ES384 over a P-256 key", sign(t, "ES384", kid("ec-256"), claims, k.p384),
			ReasonKeyMismatch},
		{"key alg RS256, token PS256", sign(t, "PS256", kid("rsa-rs256-only"), claims, k.rsa2),
			ReasonKeyMismatch},
		{"key use enc", sign(t, "RS256", kid("rsa-enc"), claims, k.rsa2), ReasonKeyMismatch},
		{"key_ops without verify", sign(t, "RS256", kid("rsa-sign-only"), claims, k.rsa2),
			ReasonKeyMismatch},
		{"key alg Ed25519 on an RSA key", sign(t, "EdDSA", kid("rsa-says-ed25519"), claims, k.ed),
			ReasonKeyMismatch},
		{"key alg Ed25519, token ES256", sign(t, "ES256", kid("ed-fully-specified"), claims,
			k.p256), ReasonKeyMismatch},
		{"RSA key under 2048 bits", sign(t, "RS256", kid("rsa-weak"), claims, k.rsaWeak),
			ReasonWeakKey},
		// encoding/json matches struct fields case-insensitively: a second
		// reading of the header must not let "ALG" pick the algorithm checked.
		{"ALG member beside alg", signRaw(t, "PS256",
			`{"alg":"RS256","kid":"rsa-rs256-only","ALG":"PS256"}`, mustJSON(claims), k.rsa2),
			ReasonBadSignature},
		{"Alg member beside alg", signRaw(t, "PS256",
			`{"alg":"RS256","kid":"rsa-1","Alg":"PS256"}`, mustJSON(claims), k.rsa),
			ReasonBadSignature},
	}
	runHostile(t, s, cases)

	// The key_ops control: the same key with verify allowed works.
	tok := sign(t, "RS256", kid("rsa-verify"), claims, k.rsa2)
	if got := checkToken(t, s, tok); got != ReasonOK {
		t.Errorf("Check(key_ops [verify]) reason = %q, want %q", got, ReasonOK)
	}
	// RFC 9864: an Ed25519 key whose alg is the fully-specified "Ed25519"
	// verifies EdDSA tokens.
	tok = sign(t, "EdDSA", kid("ed-fully-specified"), claims, k.ed)
	if got := checkToken(t, s, tok); got != ReasonOK {
		t.Errorf("Check(EdDSA, key alg Ed25519) reason = %q, want %q", got, ReasonOK)
	}
}

func TestAlgConfusionConfigRefused(t *testing.T) {
	for _, alg := range []string{"none", "HS256", "HS384", "HS512", "RSA-OAEP", ""} {
		_, err := New(Config{Providers: []Provider{{
			Name: "p", Issuer: testIssuer, Audiences: []string{testAudience},
			Algorithms: []string{alg}, Keys: &fakeKeys{},
		}}})
		if err == nil {
			t.Errorf("New(algorithms [%q]) error = nil, want an error", alg)
		}
	}
}

func TestCritHeader(t *testing.T) {
	k := testKeys()
	s, _ := newTestServer(t, nil)
	claims := validClaims(nil)
	hdr := func(extra map[string]any) map[string]any {
		h := map[string]any{"kid": "ec-256"}
		for n, v := range extra {
			h[n] = v
		}
		return h
	}
	cases := []hostileCase{
		{"crit with an unknown extension",
			sign(t, "ES256", hdr(map[string]any{"crit": []string{"x-policy"}, "x-policy": 1}),
				claims, k.p256), ReasonUnsupportedHeader},
		{"crit naming exp",
			sign(t, "ES256", hdr(map[string]any{"crit": []string{"exp"}, "exp": 1}), claims, k.p256),
			ReasonUnsupportedHeader},
		{"crit empty", sign(t, "ES256", hdr(map[string]any{"crit": []string{}}), claims, k.p256),
			ReasonUnsupportedHeader},
		{"crit b64 false",
			sign(t, "ES256", hdr(map[string]any{"crit": []string{"b64"}, "b64": false}),
				claims, k.p256), ReasonUnsupportedHeader},
		{"b64 false without crit", sign(t, "ES256", hdr(map[string]any{"b64": false}), claims, k.p256),
			ReasonUnsupportedHeader},
		{"b64 a string", sign(t, "ES256", hdr(map[string]any{"b64": "false"}), claims, k.p256),
			ReasonUnsupportedHeader},
	}
	runHostile(t, s, cases)
}

func TestEmbeddedJWKIgnored(t *testing.T) {
	// The attacker's own key and a server standing for the key locations
	// it names: no header may make the service use that key or fetch.
	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
	}))
	defer evil.Close()

	jwk := map[string]any{
		"kty": "EC", "crv": "P-256",
		"x": b64(attacker.X.FillBytes(make([]byte, 32))),
		"y": b64(attacker.Y.FillBytes(make([]byte, 32))),
	}
	s, keys := newTestServer(t, nil)
	claims := validClaims(nil)
	var cases []hostileCase
	for _, h := range []map[string]any{
		{"jwk": jwk},
		{"jku": evil.URL + "/jwks"},
		{"x5u": evil.URL + "/cert.pem"},
		{"x5c": []string{base64.StdEncoding.EncodeToString([]byte("not a certificate"))}},
		{"jwk": jwk, "jku": evil.URL, "x5u": evil.URL},
	} {
		var names []string
		for n := range h {
			names = append(names, n)
		}
		// Without a kid the provider's only P-256 key is chosen; with the
		// provider's kid, that key: either way the signature is wrong.
		cases = append(cases, hostileCase{strings.Join(names, "+") + ", no kid",
			sign(t, "ES256", h, claims, attacker), ReasonBadSignature})
		h["kid"] = "ec-256"
		cases = append(cases, hostileCase{strings.Join(names, "+") + ", provider's kid",
			sign(t, "ES256", h, claims, attacker), ReasonBadSignature})
	}
	runHostile(t, s, cases)

	if n := hits.Load(); n != 0 {
		t.Errorf("key location server got %d requests, want 0", n)
	}
	for _, kid := range keys.askedKids() {
		if kid != "" && kid != "ec-256" {
			t.Errorf("key source asked for kid %q, want only the token's kid", kid)
		}
	}
}

func TestKidInjection(t *testing.T) {
	k := testKeys()
	s, keys := newTestServer(t, nil)
	claims := validClaims(nil)
	kids := []string{
		"../../../../etc/passwd",
		"/dev/zero",
		`" OR "1"="1`,
		"'; DROP TABLE keys; --",
		"ec-256\x00",
		"ec-256 ",
		"EC-256",
		"https://evil.example.com/jwks.json",
		strings.Repeat("k", 900), // long, within the header limit
		"\u202eec-256",
	}
	var cases []hostileCase
	for _, kid := range kids {
		cases = append(cases, hostileCase{fmt.Sprintf("kid %.40q", kid),
			sign(t, "ES256", map[string]any{"kid": kid}, claims, k.p256), ReasonUnknownKey})
	}
	cases = append(cases,
		hostileCase{"kid over the header limit",
			sign(t, "ES256", map[string]any{"kid": strings.Repeat("k", 4000)}, claims, k.p256),
			ReasonTokenTooLarge},
		hostileCase{"kid a number", sign(t, "ES256", map[string]any{"kid": 1}, claims, k.p256),
			ReasonMalformedToken},
		hostileCase{"kid an object",
			sign(t, "ES256", map[string]any{"kid": map[string]any{"$ne": ""}}, claims, k.p256),
			ReasonMalformedToken},
	)
	runHostile(t, s, cases)

	// Each kid reached the key source as the same opaque string, once.
	var got []string
	for _, kid := range keys.askedKids() {
		if kid != "ec-256" { // the valid token's
			got = append(got, kid)
		}
	}
	for i, kid := range kids {
		if i >= len(got) || got[i] != kid {
			t.Fatalf("key source asks = %.60q, want the token kids %.60q in order", got, kids)
		}
	}
}

func TestNumericDate(t *testing.T) {
	k := testKeys()
	s, _ := newTestServer(t, nil)
	// rawClaims signs claims given as JSON text, so numbers are exact.
	rawClaims := func(exp, extra string) string {
		c := fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%s%s}`, testIssuer, testAudience, exp, extra)
		return signRaw(t, "ES256", `{"alg":"ES256","kid":"ec-256"}`, c, k.p256)
	}
	future := fmt.Sprint(testNow.Add(time.Hour).Unix())
	cases := []hostileCase{
		{"exp fractional", rawClaims(future+".25", ""), ReasonOK},
		{"exp with exponent", rawClaims("1.7e9", ""), ReasonExpired},
		{"exp fractional, just past", rawClaims(fmt.Sprint(testNow.Unix()-30)+".999", ""),
			ReasonOK},
		{"exp fractional, just expired", rawClaims(fmt.Sprint(testNow.Unix()-30)+".0", ""),
			ReasonExpired},
		{"exp a string", rawClaims(`"`+future+`"`, ""), ReasonBadClaim},
		{"exp true", rawClaims("true", ""), ReasonBadClaim},
		{"exp an array", rawClaims("["+future+"]", ""), ReasonBadClaim},
		{"exp null", rawClaims("null", ""), ReasonMissingClaim},
		{"exp huge exponent", rawClaims("1e400", ""), ReasonBadClaim},
		{"exp 1e308", rawClaims("1e308", ""), ReasonBadClaim},
		{"exp beyond int64", rawClaims("9223372036854775808", ""), ReasonBadClaim},
		{"exp after year 9999", rawClaims("253402300800", ""), ReasonBadClaim},
		{"exp 400 digits", rawClaims(strings.Repeat("9", 400), ""), ReasonBadClaim},
		{"exp negative", rawClaims("-1", ""), ReasonBadClaim},
		{"exp NaN", rawClaims("NaN", ""), ReasonMalformedToken},
		{"exp Infinity", rawClaims("Infinity", ""), ReasonMalformedToken},
		{"exp hex", rawClaims("0x7fffffff", ""), ReasonMalformedToken},
		{"nbf a string", rawClaims(future, `,"nbf":"0"`), ReasonBadClaim},
		{"nbf huge", rawClaims(future, `,"nbf":1e999`), ReasonBadClaim},
		{"nbf fractional future", rawClaims(future, fmt.Sprintf(`,"nbf":%d.5`, testNow.Unix()+30)),
			ReasonNotYetValid},
		{"iat negative", rawClaims(future, `,"iat":-5`), ReasonBadClaim},
		{"iat far future", rawClaims(future, `,"iat":253402300799`), ReasonNotYetValid},
	}
	runHostile(t, s, cases)
}

func TestJWE(t *testing.T) {
	k := testKeys()
	s, keys := newTestServer(t, nil)
	// A compact JWE: header, encrypted key, IV, ciphertext, tag (RFC 7516 7.1).
	jweHeader := b64([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM","kid":"rsa-1"}`))
	jwe := strings.Join([]string{jweHeader, b64([]byte("key")), b64([]byte("iv")),
		b64([]byte("ciphertext")), b64([]byte("tag"))}, ".")
	cases := []hostileCase{
		{"five parts", jwe, ReasonEncryptedToken},
		{"enc in a three-part token",
			sign(t, "ES256", map[string]any{"kid": "ec-256", "enc": "A256GCM"}, validClaims(nil),
				k.p256), ReasonEncryptedToken},
		{"four parts", jwe[:strings.LastIndexByte(jwe, '.')], ReasonMalformedToken},
		{"six parts", jwe + ".x", ReasonMalformedToken},
	}
	runHostile(t, s, cases)
	assertOnlyValidAsks(t, keys, cases)
}

func TestNestedToken(t *testing.T) {
	k := testKeys()
	s, _ := newTestServer(t, nil)
	inner := validToken(t, "ES256")
	var cases []hostileCase
	for _, cty := range []string{"JWT", "jwt", "application/JWT", "jwt ", "JWT; charset=x"} {
		// The outer token carries the inner one as its payload (RFC 7519
		// A.2); a valid outer signature must not vouch for inner claims.
		cases = append(cases, hostileCase{"cty " + cty,
			signRaw(t, "ES256", mustJSON(map[string]any{"alg": "ES256", "kid": "ec-256", "cty": cty}),
				mustJSON(validClaims(map[string]any{"inner": inner})), k.p256),
			ReasonNestedToken})
	}
	runHostile(t, s, cases)
}

func TestOversized(t *testing.T) {
	k := testKeys()
	s, keys := newTestServer(t, nil)
	deep := func(n int) any {
		var v any = "x"
		for range n {
			v = []any{v}
		}
		return v
	}
	wide := validClaims(nil)
	for i := range DefaultMaxClaims {
		wide[fmt.Sprintf("c%d", i)] = i
	}
	hdr := map[string]any{"kid": "ec-256"}
	cases := []hostileCase{
		{"token over the limit",
			sign(t, "ES256", hdr, validClaims(map[string]any{"pad": strings.Repeat("p", 9000)}), k.p256),
			ReasonTokenTooLarge},
		{"header over the limit",
			sign(t, "ES256", map[string]any{"kid": "ec-256", "pad": strings.Repeat("p", 1100)},
				validClaims(nil), k.p256), ReasonTokenTooLarge},
		{"claims nested too deep",
			sign(t, "ES256", hdr, validClaims(map[string]any{"deep": deep(DefaultMaxJSONDepth)}), k.p256),
			ReasonTooComplex},
		{"header nested too deep",
			sign(t, "ES256", map[string]any{"kid": "ec-256", "x": deep(DefaultMaxJSONDepth)},
				validClaims(nil), k.p256), ReasonTooComplex},
		{"too many claims", sign(t, "ES256", hdr, wide, k.p256), ReasonTooComplex},
		{"deep nesting, unbalanced",
			signRaw(t, "ES256", `{"alg":"ES256","kid":"ec-256"}`,
				`{"a":`+strings.Repeat("[", 3000), k.p256), ReasonTooComplex},
	}
	runHostile(t, s, cases)
	assertOnlyValidAsks(t, keys, cases)

	// Just within the limits is accepted.
	ok := sign(t, "ES256", hdr, validClaims(map[string]any{"deep": deep(DefaultMaxJSONDepth - 2)}), k.p256)
	if got := checkToken(t, s, ok); got != ReasonOK {
		t.Errorf("Check(depth within limit) reason = %q, want %q", got, ReasonOK)
	}

	// Limits are configurable.
	small, _ := newTestServer(t, func(c *Config) { c.Limits = Limits{MaxClaims: 3} })
	if got := checkToken(t, small, validToken(t, "ES256")); got != ReasonTooComplex {
		t.Errorf("Check(6 claims, MaxClaims 3) reason = %q, want %q", got, ReasonTooComplex)
	}
}

func TestDuplicateClaims(t *testing.T) {
	k := testKeys()
	s, _ := newTestServer(t, nil)
	exp := testNow.Add(time.Hour).Unix()
	claims := fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d,"sub":"alice","sub":"admin"}`,
		testIssuer, testAudience, exp)
	runHostile(t, s, []hostileCase{
		{"duplicate sub", signRaw(t, "ES256", `{"alg":"ES256","kid":"ec-256"}`, claims, k.p256),
			ReasonMalformedToken},
		{"duplicate alg in header",
			signRaw(t, "ES256", `{"alg":"none","alg":"ES256","kid":"ec-256"}`,
				mustJSON(validClaims(nil)), k.p256), ReasonMalformedToken},
		{"trailing data after claims",
			signRaw(t, "ES256", `{"alg":"ES256","kid":"ec-256"}`, mustJSON(validClaims(nil))+"{}", k.p256),
			ReasonMalformedToken},
		{"claims an array",
			signRaw(t, "ES256", `{"alg":"ES256","kid":"ec-256"}`, `["iss"]`, k.p256),
			ReasonMalformedToken},
	})
}

func TestUnknownIssuerNeverFetched(t *testing.T) {
	k := testKeys()
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
	}))
	defer evil.Close()
	s, keys := newTestServer(t, nil)
	cases := []hostileCase{
		{"iss a URL", sign(t, "ES256", map[string]any{"kid": "ec-256"},
			validClaims(map[string]any{"iss": evil.URL}), k.p256), ReasonUnknownIssuer},
		{"iss not a string", sign(t, "ES256", map[string]any{"kid": "ec-256"},
			validClaims(map[string]any{"iss": []string{testIssuer}}), k.p256), ReasonUnknownIssuer},
	}
	runHostile(t, s, cases)
	if n := hits.Load(); n != 0 {
		t.Errorf("issuer URL from the token got %d requests, want 0", n)
	}
	assertOnlyValidAsks(t, keys, cases)
}

func TestMalformedToken(t *testing.T) {
	s, _ := newTestServer(t, nil)
	valid := validToken(t, "ES256")
	parts := strings.Split(valid, ".")
	runHostile(t, s, []hostileCase{
		{"one part", "abc", ReasonMalformedToken},
		{"empty parts", "..", ReasonMalformedToken},
		{"padded header", parts[0] + "==." + parts[1] + "." + parts[2], ReasonMalformedToken},
		{"standard base64 header", strings.NewReplacer("-", "+", "_", "/").Replace(parts[0]) +
			"+." + parts[1] + "." + parts[2], ReasonMalformedToken},
		{"header not JSON", b64([]byte("hello")) + "." + parts[1] + "." + parts[2],
			ReasonMalformedToken},
		{"signature missing", parts[0] + "." + parts[1] + ".", ReasonBadSignature},
		// Signed with the test's key: invalid UTF-8 must fail the parse, not
		// pass as U+FFFD as encoding/json would read it (RFC 8259 8.1).
		{"invalid UTF-8 in claims", signRaw(t, "ES256", `{"alg":"ES256","kid":"`+kidFor("ES256")+`"}`,
			strings.Replace(mustJSON(validClaims(nil)), `"iss"`, "\"x\xc3\":1,\"iss\"", 1),
			testKeys().p256), ReasonMalformedToken},
		{"invalid UTF-8 in header", signRaw(t, "ES256",
			`{"alg":"ES256","kid":"`+kidFor("ES256")+"\",\"typ\":\"J\xffT\"}",
			mustJSON(validClaims(nil)), testKeys().p256), ReasonMalformedToken},
	})
}

// TestNumericDateNoOverflow checks the conversion directly at the range ends.
func TestNumericDateNoOverflow(t *testing.T) {
	for _, c := range []struct {
		give       string
		wantUnix   int64
		wantReason Reason
	}{
		{give: "0", wantUnix: 0, wantReason: ReasonOK},
		{give: "253402300799", wantUnix: 253402300799, wantReason: ReasonOK},
		{give: "1700000000.5", wantUnix: 1700000000, wantReason: ReasonOK},
		{give: "253402300799.5", wantReason: ReasonBadClaim},
		{give: "1e19", wantReason: ReasonBadClaim},
		{give: "-0.5", wantReason: ReasonBadClaim},
	} {
		got, r := numericDate(map[string]any{"exp": json.Number(c.give)}, "exp", true)
		if r != c.wantReason || (r == ReasonOK && got.Unix() != c.wantUnix) {
			t.Errorf("numericDate(%s) = %v, %q; want unix %d, %q",
				c.give, got, r, c.wantUnix, c.wantReason)
		}
	}
}

// assertOnlyValidAsks fails unless every key lookup was for the valid
// tokens runHostile sends after each case: the hostile ones never reached
// the keys.
func assertOnlyValidAsks(t *testing.T, keys *fakeKeys, cases []hostileCase) {
	t.Helper()
	asks := keys.askedKids()
	if len(asks) != len(cases) {
		t.Errorf("key lookups = %d, want %d: one per valid token", len(asks), len(cases))
	}
	for _, kid := range asks {
		if kid != "ec-256" {
			t.Errorf("key source asked for kid %q, want only the valid token's", kid)
		}
	}
}
