package authz

import (
	"strings"
	"testing"
	"time"

	"github.com/extauthz/extauthz/jwks"
)

// decisionCase is one token judged by a test server.
type decisionCase struct {
	name string
	// giveToken builds the token; k holds the test's keys.
	giveToken func(t *testing.T, k *keyring) string
	// giveConfig, when set, adjusts the server's configuration.
	giveConfig func(*Config)
	wantReason Reason
}

func (c decisionCase) run(t *testing.T) {
	s, _ := newTestServer(t, c.giveConfig)
	tok := c.giveToken(t, testKeys())
	if got := checkToken(t, s, tok); got != c.wantReason {
		t.Errorf("Check(%s) reason = %q, want %q", c.name, got, c.wantReason)
	}
}

// withClaims returns a builder of an ES256 token with changed claims.
func withClaims(changes map[string]any) func(*testing.T, *keyring) string {
	return func(t *testing.T, k *keyring) string {
		return sign(t, "ES256", map[string]any{"kid": "ec-256"}, validClaims(changes), k.p256)
	}
}

func TestDecision(t *testing.T) {
	var cases []decisionCase
	for _, alg := range DefaultAlgorithms {
		cases = append(cases, decisionCase{
			name:       "valid " + alg,
			giveToken:  func(t *testing.T, _ *keyring) string { return validToken(t, alg) },
			wantReason: ReasonOK,
		})
	}
	cases = append(cases, []decisionCase{
		{
			name: "alg none",
			giveToken: func(t *testing.T, _ *keyring) string {
				return sign(t, "none", map[string]any{"kid": "rsa-1"}, validClaims(nil), nil)
			},
			wantReason: ReasonAlgorithmNotAllowed,
		},
		{
			name: "HS256 signed with the public key",
			giveToken: func(t *testing.T, k *keyring) string {
				return sign(t, "HS256", map[string]any{"kid": "rsa-1"}, validClaims(nil),
					pemPublicKey(t, &k.rsa.PublicKey))
			},
			wantReason: ReasonAlgorithmNotAllowed,
		},
		{
			name: "wrong kid",
			giveToken: func(t *testing.T, k *keyring) string {
				return sign(t, "ES256", map[string]any{"kid": "no-such-key"}, validClaims(nil), k.p256)
			},
			wantReason: ReasonUnknownKey,
		},
		{
			name: "tampered payload",
			giveToken: func(t *testing.T, _ *keyring) string {
				parts := strings.Split(validToken(t, "RS256"), ".")
				parts[1] = b64([]byte(mustJSON(validClaims(map[string]any{"sub": "admin"}))))
				return strings.Join(parts, ".")
			},
			wantReason: ReasonBadSignature,
		},
		{
			name: "tampered signature",
			giveToken: func(t *testing.T, _ *keyring) string {
				tok := []byte(validToken(t, "EdDSA"))
				i := strings.LastIndexByte(string(tok), '.') + 5
				tok[i] = flipB64(tok[i])
				return string(tok)
			},
			wantReason: ReasonBadSignature,
		},
		{
			name:       "expired",
			giveToken:  withClaims(map[string]any{"exp": testNow.Add(-31 * time.Second).Unix()}),
			wantReason: ReasonExpired,
		},
		{
			name:       "expired within skew",
			giveToken:  withClaims(map[string]any{"exp": testNow.Add(-29 * time.Second).Unix()}),
			wantReason: ReasonOK,
		},
		{
			name:       "exp exactly now, no skew",
			giveToken:  withClaims(map[string]any{"exp": testNow.Unix()}),
			giveConfig: func(c *Config) { c.Providers[0].ClockSkew = 0 },
			wantReason: ReasonExpired,
		},
		{
			name:       "not yet valid",
			giveToken:  withClaims(map[string]any{"nbf": testNow.Add(31 * time.Second).Unix()}),
			wantReason: ReasonNotYetValid,
		},
		{
			name:       "nbf within skew",
			giveToken:  withClaims(map[string]any{"nbf": testNow.Add(29 * time.Second).Unix()}),
			wantReason: ReasonOK,
		},
		{
			name:       "issued in the future",
			giveToken:  withClaims(map[string]any{"iat": testNow.Add(time.Minute).Unix()}),
			wantReason: ReasonNotYetValid,
		},
		{
			name:       "wrong iss",
			giveToken:  withClaims(map[string]any{"iss": "https://evil.example.com"}),
			wantReason: ReasonUnknownIssuer,
		},
		{
			name:       "iss differs by a trailing slash",
			giveToken:  withClaims(map[string]any{"iss": testIssuer + "/"}),
			wantReason: ReasonUnknownIssuer,
		},
		{
			name:       "missing iss",
			giveToken:  withClaims(map[string]any{"iss": nil}),
			wantReason: ReasonUnknownIssuer,
		},
		{
			name:       "wrong aud",
			giveToken:  withClaims(map[string]any{"aud": "billing-api"}),
			wantReason: ReasonWrongAudience,
		},
		{
			name:       "aud as array",
			giveToken:  withClaims(map[string]any{"aud": []string{"billing-api", testAudience}}),
			wantReason: ReasonOK,
		},
		{
			name:       "aud array without ours",
			giveToken:  withClaims(map[string]any{"aud": []string{"billing-api", "x"}}),
			wantReason: ReasonWrongAudience,
		},
		{
			name:       "aud array with a number",
			giveToken:  withClaims(map[string]any{"aud": []any{testAudience, 7}}),
			wantReason: ReasonBadClaim,
		},
		{
			name:       "missing aud",
			giveToken:  withClaims(map[string]any{"aud": nil}),
			wantReason: ReasonMissingClaim,
		},
		{
			name:       "missing exp",
			giveToken:  withClaims(map[string]any{"exp": nil}),
			wantReason: ReasonMissingClaim,
		},
		{
			name:       "sub not a string",
			giveToken:  withClaims(map[string]any{"sub": 42}),
			wantReason: ReasonBadClaim,
		},
		{
			name: "no kid, one candidate",
			giveToken: func(t *testing.T, k *keyring) string {
				return sign(t, "PS256", nil, validClaims(nil), k.rsa)
			},
			wantReason: ReasonOK,
		},
		{
			name: "no kid, two candidates",
			giveToken: func(t *testing.T, k *keyring) string {
				return sign(t, "RS256", nil, validClaims(nil), k.rsa)
			},
			giveConfig: func(c *Config) {
				keys := c.Providers[0].Keys.(*fakeKeys)
				keys.keys = append(keys.keys, &jwks.Key{ID: "rsa-2", Public: &testKeys().rsa2.PublicKey})
			},
			wantReason: ReasonAmbiguousKey,
		},
		{
			name: "no kid, no candidate",
			giveToken: func(t *testing.T, k *keyring) string {
				return sign(t, "ES384", nil, validClaims(nil), k.p384)
			},
			giveConfig: func(c *Config) {
				c.Providers[0].Keys.(*fakeKeys).keys = testKeys().publicKeys()[:2]
			},
			wantReason: ReasonUnknownKey,
		},
		{
			name: "algorithm outside the provider's allow-list",
			giveToken: func(t *testing.T, _ *keyring) string {
				return validToken(t, "RS256")
			},
			giveConfig: func(c *Config) { c.Providers[0].Algorithms = []string{"ES256"} },
			wantReason: ReasonAlgorithmNotAllowed,
		},
	}...)
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

// flipB64 returns another base64url character than c.
func flipB64(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}
