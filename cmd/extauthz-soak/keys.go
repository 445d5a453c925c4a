package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauthz/extauthz/jwks"
)

// signer is a private signing key with the key id and algorithm it signs
// under. Only its public half ever leaves the process (as a JWK).
type signer struct {
	kid string
	alg string // RS256 or ES256
	key crypto.Signer
}

// newSigner generates a key for alg with a random key id prefixed by role,
// so the service's logs show which of the soak's keys a kid belongs to.
func newSigner(role, alg string) (*signer, error) {
	var key crypto.Signer
	var err error
	switch alg {
	case "RS256":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("generating %s key: unsupported algorithm", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", alg, err)
	}
	return &signer{kid: role + "-" + randomHex(6), alg: alg, key: key}, nil
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b)
}

// jwk returns the public JWK of s.
func (s *signer) jwk() (map[string]any, error) {
	k, err := jwks.PublicJWK(s.key.Public())
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", s.kid, err)
	}
	k["kid"], k["alg"], k["use"] = s.kid, s.alg, "sig"
	return k, nil
}

// claims are the registered claims of a soak token.
type claims struct {
	issuer, audience, subject string
	issuedAt, expires         time.Time
}

// mint signs c with s, naming s's key id in the header.
func (s *signer) mint(c claims) (string, error) {
	method := jwt.GetSigningMethod(s.alg)
	tok := jwt.NewWithClaims(method, jwt.MapClaims{
		"iss": c.issuer,
		"aud": c.audience,
		"sub": c.subject,
		"iat": c.issuedAt.Unix(),
		"exp": c.expires.Unix(),
	})
	tok.Header["kid"] = s.kid
	raw, err := tok.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("signing with key %s: %w", s.kid, err)
	}
	return raw, nil
}
