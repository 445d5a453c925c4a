package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// Bounds on RSA keys. Keys under 2048 bits are refused (issue 4, RFC 8725
// 3.5 by reference to NIST SP 800-131A); keys over 8192 bits are refused
// because each verification with them costs a token's sender nothing and
// the service a lot.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// Skipped names a key of a JWKS that was not published, and why. Reasons are
// fixed phrases; they never contain key material.
type Skipped struct {
	KID    string
	Reason string
}

// jwk is the subset of RFC 7517/7518/8037 members the service reads.
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Alg    string   `json:"alg"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	Crv    string   `json:"crv"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	D      string   `json:"d"`
}

// ParseJWKS parses a JWK Set document (RFC 7517 5) and returns its usable
// verification keys in document order. Keys that cannot be used (use other
// than "sig", key_ops without "verify", an unknown kty or crv, an alg that does
// not fit the key, a bad encoding, private key material, an RSA modulus under
// 2048 bits, a kid already seen) are left out and listed in skipped.
//
// It fails, with an error of kind "json", when data is not a JWK Set; of kind
// "too_many_keys" when the set holds more than maxKeys entries (maxKeys <= 0
// means no limit); and of kind "no_keys" when no key is usable.
func ParseJWKS(data []byte, maxKeys int) (keys []*Key, skipped []Skipped, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, kindErr(KindJSON, fmt.Errorf("decoding JWK set: %w", err))
	}
	if doc.Keys == nil {
		return nil, nil, kindErr(KindJSON, errors.New("decoding JWK set: no \"keys\" array"))
	}
	if maxKeys > 0 && len(doc.Keys) > maxKeys {
		return nil, nil, kindErr(KindTooManyKeys,
			fmt.Errorf("JWK set holds %d keys, more than the limit of %d", len(doc.Keys), maxKeys))
	}
	seen := make(map[string]bool, len(doc.Keys))
	for _, raw := range doc.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			skipped = append(skipped, Skipped{Reason: "not a JSON object with string members"})
			continue
		}
		k, reason := j.key()
		switch {
		case reason != "":
			skipped = append(skipped, Skipped{KID: j.Kid, Reason: reason})
		case k.ID != "" && seen[k.ID]:
			skipped = append(skipped, Skipped{KID: j.Kid, Reason: "duplicate kid"})
		default:
			seen[k.ID] = true
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, skipped, kindErr(KindNoKeys,
			fmt.Errorf("JWK set holds no usable key (%d skipped)", len(skipped)))
	}
	return keys, skipped, nil
}

// key converts j into a Key, or returns why it cannot be used.
func (j *jwk) key() (*Key, string) {
	if j.Use != "" && j.Use != "sig" {
		return nil, "use is not sig"
	}
	if j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify") {
		return nil, "key_ops lacks verify"
	}
	if j.D != "" {
		// A published private key is a provider misconfiguration; the
		// service refuses to hold such material at all.
		return nil, "private key material"
	}
	var (
		pub    crypto.PublicKey
		reason string
		algs   []string
	)
	switch j.Kty {
	case "RSA":
		pub, reason = j.rsa()
		algs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	case "EC":
		pub, reason, algs = j.ec()
	case "OKP":
		pub, reason = j.okp()
		algs = []string{"EdDSA", "Ed25519"}
	default:
		return nil, "unsupported kty"
	}
	if reason != "" {
		return nil, reason
	}
	if j.Alg != "" && !slices.Contains(algs, j.Alg) {
		return nil, "alg does not fit the key"
	}
	return &Key{ID: j.Kid, Algorithm: j.Alg, Use: j.Use, KeyOps: j.KeyOps, Public: pub}, ""
}

func (j *jwk) rsa() (crypto.PublicKey, string) {
	n, err := b64(j.N)
	if err != nil || len(n) == 0 {
		return nil, "bad RSA modulus encoding"
	}
	e, err := b64(j.E)
	if err != nil || len(e) == 0 {
		return nil, "bad RSA exponent encoding"
	}
	mod := new(big.Int).SetBytes(n)
	switch bits := mod.BitLen(); {
	case bits < minRSABits:
		return nil, "RSA modulus under 2048 bits"
	case bits > maxRSABits:
		return nil, "RSA modulus over 8192 bits"
	case mod.Bit(0) == 0:
		return nil, "RSA modulus is even"
	}
	exp := new(big.Int).SetBytes(e)
	if exp.BitLen() > 31 || exp.Int64() < 3 || exp.Bit(0) == 0 {
		return nil, "RSA exponent out of range"
	}
	return &rsa.PublicKey{N: mod, E: int(exp.Int64())}, ""
}

// ec returns the key and the one algorithm its curve allows (RFC 7518 3.4).
func (j *jwk) ec() (crypto.PublicKey, string, []string) {
	var (
		curve elliptic.Curve
		alg   string
	)
	switch j.Crv {
	case "P-256":
		curve, alg = elliptic.P256(), "ES256"
	case "P-384":
		curve, alg = elliptic.P384(), "ES384"
	case "P-521":
		curve, alg = elliptic.P521(), "ES512"
	default:
		return nil, "unsupported EC curve", nil
	}
	size := (curve.Params().BitSize + 7) / 8
	x, errX := b64(j.X)
	y, errY := b64(j.Y)
	if errX != nil || errY != nil || len(x) == 0 || len(y) == 0 || len(x) > size || len(y) > size {
		return nil, "bad EC coordinate encoding", nil
	}
	// RFC 7518 6.2.1.2 wants full-width coordinates; some providers strip
	// leading zeros, so pad to the curve's width rather than refuse.
	point := make([]byte, 1+2*size)
	point[0] = 4
	copy(point[1+size-len(x):1+size], x)
	copy(point[1+2*size-len(y):], y)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, "EC point not on the curve", nil
	}
	return pub, "", []string{alg}
}

func (j *jwk) okp() (crypto.PublicKey, string) {
	if j.Crv != "Ed25519" {
		return nil, "unsupported OKP curve"
	}
	x, err := b64(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, "bad Ed25519 key encoding"
	}
	return ed25519.PublicKey(x), ""
}

// b64 decodes base64url without padding (RFC 7515 2), tolerating the
// padding some providers add anyway.
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
