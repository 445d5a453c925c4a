package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
)

// PublicJWK returns pub as the members of a public JWK (RFC 7517, RFC 7518
// 6.2 and 6.3, RFC 8037 2): kty and the key's parameters, with no kid, alg
// or use, which the caller adds. It is the inverse of [ParseJWKS] for one
// key, for programs that publish keys, such as development and test
// issuers. It supports *rsa.PublicKey, *ecdsa.PublicKey on P-256, P-384 and
// P-521, and ed25519.PublicKey.
func PublicJWK(pub crypto.PublicKey) (map[string]any, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]any{
			"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes()),
		}, nil
	case *ecdsa.PublicKey:
		// The uncompressed point 0x04 || X || Y, with coordinates of the
		// curve's fixed width, as RFC 7518 6.2.1.2 requires.
		pt, err := k.Bytes()
		if err != nil {
			return nil, fmt.Errorf("jwks: encoding EC key: %w", err)
		}
		size := (len(pt) - 1) / 2
		return map[string]any{
			"kty": "EC", "crv": k.Curve.Params().Name,
			"x": b64(pt[1 : 1+size]), "y": b64(pt[1+size:]),
		}, nil
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(k)}, nil
	}
	return nil, fmt.Errorf("jwks: encoding %T as a JWK: unsupported key type", pub)
}
