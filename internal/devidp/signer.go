package devidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauthz/extauthz/jwks"
)

// Signer is a generated private key that signs tokens under a key id. Only
// its public half leaves the process, as a JWK. A copy with another KID signs
// with the same key.
type Signer struct {
	KID string // prefix-<12 random hex digits>
	Alg string // RS256 or ES256
	key crypto.Signer
}

// NewSigner generates a key for alg, RS256 (2048 bits: the smallest RSA size
// the service accepts, RFC 7518 3.3) or ES256, with a fresh random key id
// that starts with prefix, so that logs show which key a kid belongs to and a
// restarted issuer's keys never pass for the previous run's.
func NewSigner(prefix, alg string) (*Signer, error) {
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
	return &Signer{KID: prefix + "-" + RandomHex(6), Alg: alg, key: key}, nil
}

// RandomHex returns n random bytes as hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b)
}

// Public returns the public key.
func (s *Signer) Public() crypto.PublicKey { return s.key.Public() }

// JWK returns the public JWK, with kid, alg and use "sig".
func (s *Signer) JWK() (map[string]any, error) {
	k, err := jwks.PublicJWK(s.key.Public())
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", s.KID, err)
	}
	k["kid"], k["alg"], k["use"] = s.KID, s.Alg, "sig"
	return k, nil
}

// Sign returns a compact JWS of claims, with KID in its header.
func (s *Signer) Sign(claims jwt.Claims) (string, error) {
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(s.Alg), claims)
	tok.Header["kid"] = s.KID
	raw, err := tok.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("signing with key %s: %w", s.KID, err)
	}
	return raw, nil
}
