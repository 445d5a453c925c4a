package authz

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/extauthz/extauthz/jwks"
)

// rfcVector is one entry of testdata/rfc-jws-vectors.json.
type rfcVector struct {
	Source  string            `json:"source"`
	Alg     string            `json:"alg"`
	Want    string            `json:"want"` // "verified" or "refused"
	Compact string            `json:"compact"`
	JWK     map[string]string `json:"jwk"`
}

func loadRFCVectors(t *testing.T) []rfcVector {
	t.Helper()
	b, err := os.ReadFile("testdata/rfc-jws-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Vectors []rfcVector }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("parsing RFC vectors: %v", err)
	}
	if len(f.Vectors) != 9 {
		t.Fatalf("RFC vectors = %d, want 9 (RFC 7515 A.1-A.5, RFC 7520 4.1-4.4)", len(f.Vectors))
	}
	return f.Vectors
}

// rfcKey turns a vector's JWK into a Go key: a public key for RSA and EC,
// the shared secret for oct, nil when there is none.
func rfcKey(t *testing.T, jwk map[string]string) any {
	t.Helper()
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("decoding JWK member: %v", err)
		}
		return b
	}
	switch jwk["kty"] {
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(dec(jwk["n"])),
			E: int(new(big.Int).SetBytes(dec(jwk["e"])).Int64())}
	case "EC":
		curve := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-521": elliptic.P521()}[jwk["crv"]]
		point := append(append([]byte{4}, dec(jwk["x"])...), dec(jwk["y"])...)
		k, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			t.Fatalf("EC key: %v", err)
		}
		return k
	case "oct":
		return dec(jwk["k"])
	}
	return nil
}

func TestRFCVectorsSignature(t *testing.T) {
	for _, v := range loadRFCVectors(t) {
		key := rfcKey(t, v.JWK)
		got := verifySignature(v.Compact, headerAlg(v.Compact), key)
		if want := v.Want == "verified"; got != want {
			t.Errorf("verifySignature(%s %s) = %v, want %v", v.Source, v.Alg, got, want)
		}
		if v.Want != "verified" {
			continue
		}
		// Any single-byte change, in any part, must fail.
		for i := range len(v.Compact) {
			if v.Compact[i] == '.' {
				continue
			}
			tampered := v.Compact[:i] + string(flipB64(v.Compact[i])) + v.Compact[i+1:]
			if verifySignature(tampered, headerAlg(tampered), key) {
				t.Errorf("verifySignature(%s tampered at byte %d) = true, want false", v.Source, i)
			}
		}
	}
}

// TestRFCVectorsHMACGenuine proves the refused HMAC vectors are the RFCs'
// real ones, so refusing them is meaningful: their MACs check out with the
// published shared keys.
func TestRFCVectorsHMACGenuine(t *testing.T) {
	for _, v := range loadRFCVectors(t) {
		if v.Alg != "HS256" {
			continue
		}
		i := strings.LastIndexByte(v.Compact, '.')
		mac := hmac.New(sha256.New, rfcKey(t, v.JWK).([]byte))
		mac.Write([]byte(v.Compact[:i]))
		if got := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); got != v.Compact[i+1:] {
			t.Errorf("%s: HMAC = %s, want the published %s", v.Source, got, v.Compact[i+1:])
		}
	}
}

// TestRFCVectorsDecision runs the vectors through the whole decision, with
// each vector's key as the provider's only key: the signed JWT examples
// verify and are then expired, the others fail on algorithm or payload.
func TestRFCVectorsDecision(t *testing.T) {
	want := map[string]Reason{
		"RFC 7515 A.1": ReasonAlgorithmNotAllowed, // HS256
		"RFC 7515 A.2": ReasonExpired,             // exp 1300819380
		"RFC 7515 A.3": ReasonExpired,
		"RFC 7515 A.4": ReasonMalformedToken, // payload "Payload" is not JSON
		"RFC 7515 A.5": ReasonAlgorithmNotAllowed,
		"RFC 7520 4.1": ReasonMalformedToken, // payload is prose
		"RFC 7520 4.2": ReasonMalformedToken,
		"RFC 7520 4.3": ReasonMalformedToken,
		"RFC 7520 4.4": ReasonMalformedToken,
	}
	for _, v := range loadRFCVectors(t) {
		var keys []*jwks.Key
		if pub := rfcKey(t, v.JWK); pub != nil {
			keys = append(keys, &jwks.Key{ID: v.JWK["kid"], Public: pub})
		}
		s, _ := newTestServer(t, func(c *Config) {
			c.Providers[0].Issuer = "joe"
			c.Providers[0].Keys = &fakeKeys{keys: keys}
		})
		if got := checkToken(t, s, v.Compact); got != want[v.Source] {
			t.Errorf("Check(%s) reason = %q, want %q", v.Source, got, want[v.Source])
		}
	}
}

// headerAlg reads alg from a compact JWS's header the way the service does
// (strict decoding, exact member names); "" when the header does not decode.
func headerAlg(compact string) string {
	seg, _, _ := strings.Cut(compact, ".")
	l := Limits{}.withDefaults()
	hdr, r := decodeObject(seg, l.MaxHeaderBytes, l.MaxJSONDepth, l.MaxClaims)
	if r != ReasonOK {
		return ""
	}
	alg, _ := hdr["alg"].(string)
	return alg
}
