package jwks

import "crypto"

// Key is one verification key taken from a provider's JWKS (RFC 7517).
// Keys are immutable once published in a [Set].
type Key struct {
	// ID is the JWK "kid"; empty when the provider gave none.
	ID string
	// Algorithm is the JWK "alg"; empty when absent. When set, a token must
	// use exactly this algorithm with the key (RFC 7517 4.4, RFC 8725 3.1).
	Algorithm string
	// Use is the JWK "use": "sig" or empty. Keys with any other use are never
	// published.
	Use string
	// KeyOps is the JWK "key_ops"; nil when absent. When present it must
	// contain "verify" for the key to be published.
	KeyOps []string
	// Public is the key itself: *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey.
	Public crypto.PublicKey
}
