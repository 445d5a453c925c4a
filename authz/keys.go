package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"slices"

	"github.com/extauthz/extauthz/jwks"
)

// minRSABits is the smallest RSA modulus accepted (RFC 7518 3.3, 3.5).
const minRSABits = 2048

// keyKind is the kind of key an algorithm needs.
type keyKind struct {
	rsa   bool
	curve elliptic.Curve // ECDSA curve; nil for RSA and Ed25519
}

// algorithmKeys maps every supported algorithm to the key it needs. An
// algorithm outside this map is never accepted: in particular "none" and the
// HMAC family, which would let a public key serve as a shared secret.
var algorithmKeys = map[string]keyKind{
	"RS256": {rsa: true}, "RS384": {rsa: true}, "RS512": {rsa: true},
	"PS256": {rsa: true}, "PS384": {rsa: true}, "PS512": {rsa: true},
	"ES256": {curve: elliptic.P256()},
	"ES384": {curve: elliptic.P384()},
	"ES512": {curve: elliptic.P521()},
	"EdDSA": {},
}

// keyFits reports whether pub is the kind of key alg needs, curve included:
// golang-jwt checks neither an ECDSA key's curve nor that alg and key agree
// beyond the Go type.
func keyFits(pub any, alg string) bool {
	want, ok := algorithmKeys[alg]
	if !ok {
		return false
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return want.rsa && k != nil && k.N != nil
	case *ecdsa.PublicKey:
		return want.curve != nil && k != nil && k.Curve == want.curve
	case ed25519.PublicKey:
		return alg == "EdDSA" && len(k) == ed25519.PublicKeySize
	}
	return false
}

// keyAllows reports whether the JWK's own parameters allow verifying alg:
// its alg must match (RFC 7517 4.4, RFC 8725 3.1), its use and key_ops must
// permit signature verification (RFC 7517 4.2, 4.3).
func keyAllows(k *jwks.Key, alg string) bool {
	switch {
	case k.Algorithm != "" && k.Algorithm != alg && !fullySpecified(k.Algorithm, alg):
		return false
	case k.Use != "" && k.Use != "sig":
		return false
	case k.KeyOps != nil && !slices.Contains(k.KeyOps, "verify"):
		return false
	}
	return keyFits(k.Public, alg)
}

// fullySpecified reports whether keyAlg is the fully-specified name of alg
// on that key (RFC 9864): an Ed25519 key published with "alg": "Ed25519"
// verifies tokens whose header says "EdDSA". The key's type still has to fit,
// which keyFits checks.
func fullySpecified(keyAlg, alg string) bool { return keyAlg == "Ed25519" && alg == "EdDSA" }

// selectKey finds the key that must have signed a token with alg and kid.
// A kid is only a map key. Without a kid, the provider's only key that fits
// alg is used; with several candidates the token is denied, because trying
// each would let a token make us pay for many signature checks.
func selectKey(ctx context.Context, keys KeySource, alg, kid string) (*jwks.Key, Reason) {
	set, err := keys.Get(ctx, kid)
	switch {
	case errors.Is(err, jwks.ErrUnknownKey):
		return nil, ReasonUnknownKey
	case err != nil:
		// ErrKeysUnavailable, a done context or anything unforeseen: the
		// token cannot be judged now.
		return nil, ReasonKeysUnavailable
	}

	var k *jwks.Key
	if kid != "" {
		found, ok := set.Lookup(kid)
		if !ok {
			return nil, ReasonUnknownKey
		}
		k = found
	} else {
		var n int
		for _, c := range set.Keys() {
			if keyAllows(c, alg) {
				k, n = c, n+1
			}
		}
		switch {
		case n == 0:
			return nil, ReasonUnknownKey
		case n > 1:
			return nil, ReasonAmbiguousKey
		}
	}

	if !keyAllows(k, alg) {
		return nil, ReasonKeyMismatch
	}
	if rk, ok := k.Public.(*rsa.PublicKey); ok && rk.N.BitLen() < minRSABits {
		return nil, ReasonWeakKey
	}
	return k, ReasonOK
}
