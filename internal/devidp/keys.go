package devidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/golang-jwt/jwt/v5"
)

// signingKey is one generated key with its public JWK.
type signingKey struct {
	kid    string
	alg    string
	method jwt.SigningMethod
	priv   crypto.Signer
	jwk    map[string]string
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
	esKey := &signingKey{
		alg: "ES256", method: jwt.SigningMethodES256, priv: ec,
		jwk: map[string]string{
			"kty": "EC", "crv": "P-256",
			"x": b64(pad(ec.X, 32)), "y": b64(pad(ec.Y, 32)),
		},
	}
	rsKey := &signingKey{
		alg: "RS256", method: jwt.SigningMethodRS256, priv: rs,
		jwk: map[string]string{
			"kty": "RSA", "n": b64(rs.N.Bytes()), "e": b64(big.NewInt(int64(rs.E)).Bytes()),
		},
	}
	keys := []*signingKey{esKey, rsKey}
	for _, k := range keys {
		// A fresh kid per start, so a restarted dev issuer's keys never pass
		// for the previous run's.
		id := make([]byte, 6)
		if _, err := rand.Read(id); err != nil {
			return nil, err
		}
		k.kid = fmt.Sprintf("dev-%s-%s", k.alg, hex.EncodeToString(id))
		k.jwk["kid"], k.jwk["alg"], k.jwk["use"] = k.kid, k.alg, "sig"
	}
	return keys, nil
}

// pad returns n as a big-endian byte string of exactly size bytes, as
// RFC 7518 6.2.1.2 requires for EC coordinates.
func pad(n *big.Int, size int) []byte {
	return n.FillBytes(make([]byte, size))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
