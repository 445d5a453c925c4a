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

// signingKey is one generated key with its public JWK.
type signingKey struct {
	kid    string
	alg    string
	method jwt.SigningMethod
	priv   crypto.Signer
	jwk    map[string]any
}

func generateKeys() ([]*signingKey, error) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	// 2048 bits: the smallest RSA size the service accepts (RFC 7518 3.3).
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	esKey := &signingKey{alg: "ES256", method: jwt.SigningMethodES256, priv: ec}
	rsKey := &signingKey{alg: "RS256", method: jwt.SigningMethodRS256, priv: rs}
	keys := []*signingKey{esKey, rsKey}
	for _, k := range keys {
		// A fresh kid per start, so a restarted dev issuer's keys never pass
		// for the previous run's.
		id := make([]byte, 6)
		if _, err := rand.Read(id); err != nil {
			return nil, err
		}
		k.kid = fmt.Sprintf("dev-%s-%s", k.alg, hex.EncodeToString(id))
		if k.jwk, err = jwks.PublicJWK(k.priv.Public()); err != nil {
			return nil, err
		}
		k.jwk["kid"], k.jwk["alg"], k.jwk["use"] = k.kid, k.alg, "sig"
	}
	return keys, nil
}
