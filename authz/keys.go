package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauthz/extauthz/jwks"
)

// minRSABits is the smallest RSA modulus accepted (RFC 7518 3.3, 3.5).
const minRSABits = 2048

// keyKind is what a supported algorithm needs: its signing method and the
// kind of key.
type keyKind struct {
	method  jwt.SigningMethod
	rsa     bool
	curve   elliptic.Curve // ECDSA curve; nil for RSA and Ed25519
	ed25519 bool
	// jwkAlias is another name a JWK's own alg may give the algorithm:
	// RFC 9864's fully-specified "Ed25519" for EdDSA on an Ed25519 key.
	jwkAlias string
}

// algorithmKeys maps every supported algorithm to what it needs. An
// algorithm outside this map is never accepted: in particular "none" and the
// HMAC family, which would let a public key serve as a shared secret.
var algorithmKeys = map[string]keyKind{
	"RS256": {method: jwt.SigningMethodRS256, rsa: true},
	"RS384": {method: jwt.SigningMethodRS384, rsa: true},
	"RS512": {method: jwt.SigningMethodRS512, rsa: true},
	"PS256": {method: jwt.SigningMethodPS256, rsa: true},
	"PS384": {method: jwt.SigningMethodPS384, rsa: true},
	"PS512": {method: jwt.SigningMethodPS512, rsa: true},
	"ES256": {method: jwt.SigningMethodES256, curve: elliptic.P256()},
	"ES384": {method: jwt.SigningMethodES384, curve: elliptic.P384()},
	"ES512": {method: jwt.SigningMethodES512, curve: elliptic.P521()},
	"EdDSA": {method: jwt.SigningMethodEdDSA, ed25519: true, jwkAlias: "Ed25519"},
}

// fits reports whether pub is the kind of key k needs, curve included:
// golang-jwt checks neither an ECDSA key's curve nor that alg and key agree
// beyond the Go type.
func (k keyKind) fits(pub any) bool {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return k.rsa && p != nil && p.N != nil
	case *ecdsa.PublicKey:
		return k.curve != nil && p != nil && p.Curve == k.curve
	case ed25519.PublicKey:
		return k.ed25519 && len(p) == ed25519.PublicKeySize
	}
	return false
}

// keyAllows reports whether the JWK's own parameters allow verifying alg:
// its alg must match (RFC 7517 4.4, RFC 8725 3.1), its use and key_ops must
// permit signature verification (RFC 7517 4.2, 4.3).
func keyAllows(k *jwks.Key, alg string) bool {
	want, supported := algorithmKeys[alg]
	switch {
	case !supported:
		return false
	case k.Algorithm != "" && k.Algorithm != alg && k.Algorithm != want.jwkAlias:
		return false
	case k.Use != "" && k.Use != "sig":
		return false
	case k.KeyOps != nil && !slices.Contains(k.KeyOps, "verify"):
		return false
	}
	return want.fits(k.Public)
}

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
		switch {
		case !ok:
			return nil, ReasonUnknownKey
		case !keyAllows(found, alg):
			return nil, ReasonKeyMismatch
		}
		k = found
	} else {
		// Only keys that allow alg are candidates, so the one found does.
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

	if rk, ok := k.Public.(*rsa.PublicKey); ok && rk.N.BitLen() < minRSABits {
		return nil, ReasonWeakKey
	}
	return k, ReasonOK
}
