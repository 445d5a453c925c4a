package jwks

import (
	"crypto"
	"crypto/ecdh"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
)

// PublicJWK is the inverse of ParseJWKS: every supported key comes back
// equal to itself.
func TestPublicJWKRoundTrip(t *testing.T) {
	keys := map[string]crypto.PublicKey{
		"rsa":     &testRSA()[0].PublicKey,
		"p256":    ecKey(t, elliptic.P256()),
		"p384":    ecKey(t, elliptic.P384()),
		"p521":    ecKey(t, elliptic.P521()),
		"ed25519": edKey(t),
	}
	for kid, pub := range keys {
		parsed, skipped, err := ParseJWKS(jwksDoc(t, jwkOf(t, kid, pub)), 0)
		if err != nil || len(skipped) != 0 || len(parsed) != 1 {
			t.Fatalf("%s: ParseJWKS(PublicJWK) = %v, skipped %v, %v", kid, parsed, skipped, err)
		}
		eq, ok := parsed[0].Public.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !eq.Equal(pub) {
			t.Errorf("%s: the parsed key differs from the encoded one", kid)
		}
	}
}

func TestPublicJWKRefusesOtherKeys(t *testing.T) {
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PublicJWK(x.PublicKey()); err == nil {
		t.Error("PublicJWK(X25519 key) error = nil, want unsupported")
	}
}
