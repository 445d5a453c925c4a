package authz

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauthz/extauthz/jwks"
)

// staticKeys is a KeySource over one fixed set, as a warm jwks.Cache is: a
// lookup costs a map access and records nothing.
type staticKeys struct{ set *jwks.Set }

func (s staticKeys) Get(_ context.Context, kid string) (*jwks.Set, error) {
	if _, ok := s.set.Lookup(kid); kid != "" && !ok {
		return nil, jwks.ErrUnknownKey
	}
	return s.set, nil
}

// BenchmarkCheck measures a whole allowed Check (header extraction, bounded
// decoding, every check of the decision and the response) and reports it as
// a ratio to golang-jwt's own Parser doing the signature and the registered
// claim checks for the same token, measured in the same run. The ratio is
// the price of the checks golang-jwt does not make (crit, key type and curve,
// key alg and use, limits, duplicate members) plus building the response.
func BenchmarkCheck(b *testing.B) {
	k := testKeys()
	set := jwks.NewSet(k.publicKeys(), testNow)
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			s, _ := newTestServer(b, func(c *Config) { c.Providers[0].Keys = staticKeys{set} })
			tok := validToken(b, alg)
			req := checkRequest(map[string]string{"authorization": "Bearer " + tok})
			key, _ := set.Lookup(kidFor(alg))
			parser := jwt.NewParser(jwt.WithValidMethods([]string{alg}),
				jwt.WithIssuer(testIssuer), jwt.WithAudience(testAudience),
				jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second),
				jwt.WithTimeFunc(func() time.Time { return testNow }))
			keyFunc := func(*jwt.Token) (any, error) { return key.Public, nil }

			const baseRuns = 2000
			start := time.Now()
			for range baseRuns {
				if _, err := parser.Parse(tok, keyFunc); err != nil {
					b.Fatal(err)
				}
			}
			base := time.Since(start) / baseRuns

			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start = time.Now()
			for range b.N {
				if resp, _ := s.Check(ctx, req); reasonOf(resp) != ReasonOK {
					b.Fatalf("Check reason = %q, want ok", reasonOf(resp))
				}
			}
			perOp := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(perOp)/float64(max(base, 1)), "x_golang-jwt")
		})
	}
}
