package main

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauthz/extauthz/internal/devidp"
)

// TestTamper checks that both kinds of tampering break a token that
// verified before, so tampered checks really carry invalid tokens.
func TestTamper(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256"} {
		s, err := devidp.NewSigner("test", alg)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		tok, err := mint(s, claims{issuer: "http://127.0.0.1", audience: audience,
			subject: "u", issuedAt: now, expires: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		verifies := func(raw string) bool {
			_, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return s.Public(), nil },
				jwt.WithValidMethods([]string{alg}))
			return err == nil
		}
		if !verifies(tok) {
			t.Fatalf("%s: untampered token does not verify", alg)
		}
		for _, inSig := range []bool{true, false} {
			if got := tamper(tok, inSig); got == tok || verifies(got) {
				t.Errorf("%s: tamper(inSignature=%v) still verifies", alg, inSig)
			}
		}
	}
}
