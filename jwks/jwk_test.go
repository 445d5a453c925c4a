package jwks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseJWKS(t *testing.T) {
	rsaJWK := jwkOf(t, "rsa", &testRSA()[0].PublicKey)
	p256 := jwkOf(t, "p256", ecKey(t, elliptic.P256()))
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	// A P-256 point whose x has a leading zero byte, sent stripped, as some
	// providers do.
	var short map[string]any
	for short == nil {
		k := ecKey(t, elliptic.P256())
		raw, _ := k.Bytes()
		if raw[1] == 0 {
			short = with(jwkOf(t, "short", k), "x", b64u(raw[2:33]))
		}
	}
	offCurve := with(p256, "kid", "off", "y", p256["x"])

	tests := []struct {
		name        string
		give        []byte
		maxKeys     int
		wantKIDs    []string
		wantSkipped []Skipped
		wantKind    string
	}{
		{
			name: "every supported type",
			give: jwksDoc(t, rsaJWK, p256,
				jwkOf(t, "p384", ecKey(t, elliptic.P384())),
				jwkOf(t, "p521", ecKey(t, elliptic.P521())),
				jwkOf(t, "ed", edKey(t))),
			wantKIDs: []string{"rsa", "p256", "p384", "p521", "ed"},
		},
		{
			name: "use and key_ops",
			give: jwksDoc(t, with(rsaJWK, "use", nil, "key_ops", []string{"verify"}),
				with(p256, "use", "enc"),
				with(rsaJWK, "kid", "ops", "key_ops", []string{"encrypt"}),
				with(rsaJWK, "kid", "noops", "key_ops", []string{})),
			wantKIDs: []string{"rsa"},
			wantSkipped: []Skipped{{"p256", "use is not sig"}, {"ops", "key_ops lacks verify"},
				{"noops", "key_ops lacks verify"}},
		},
		{
			name: "refused keys",
			give: jwksDoc(t, rsaJWK,
				jwkOf(t, "small", &small.PublicKey),
				with(rsaJWK, "kid", "even-e", "e", b64u([]byte{1, 0, 0})),
				with(rsaJWK, "kid", "e1", "e", b64u([]byte{1})),
				with(rsaJWK, "kid", "bad-n", "n", "!!"),
				with(rsaJWK, "kid", "priv", "d", "AAAA"),
				with(rsaJWK, "kid", "alg", "alg", "ES256"),
				with(p256, "kid", "p256-alg", "alg", "ES384"),
				offCurve,
				with(p256, "kid", "curve", "crv", "secp256k1"),
				with(p256, "kid", "long-x", "x", b64u(make([]byte, 33))),
				map[string]any{"kid": "oct", "kty": "oct", "k": "AAAA"},
				map[string]any{"kid": "x25519", "kty": "OKP", "crv": "X25519", "x": b64u(make([]byte, 32))},
				map[string]any{"kid": "ed-short", "kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
				with(rsaJWK, "kid", "rsa")),
			wantKIDs: []string{"rsa"},
			wantSkipped: []Skipped{
				{"small", "RSA modulus under 2048 bits"},
				{"even-e", "RSA exponent out of range"},
				{"e1", "RSA exponent out of range"},
				{"bad-n", "bad RSA modulus encoding"},
				{"priv", "private key material"},
				{"alg", "alg does not fit the key"},
				{"p256-alg", "alg does not fit the key"},
				{"off", "EC point not on the curve"},
				{"curve", "unsupported EC curve"},
				{"long-x", "bad EC coordinate encoding"},
				{"oct", "unsupported kty"},
				{"x25519", "unsupported OKP curve"},
				{"ed-short", "bad Ed25519 key encoding"},
				{"rsa", "duplicate kid"},
			},
		},
		{
			name:     "stripped EC coordinate is padded",
			give:     jwksDoc(t, short),
			wantKIDs: []string{"short"},
		},
		{
			name:        "non-object key is skipped",
			give:        []byte(`{"keys":[7, ` + string(must(json.Marshal(rsaJWK))) + `]}`),
			wantKIDs:    []string{"rsa"},
			wantSkipped: []Skipped{{"", "not a JSON object with string members"}},
		},
		{
			name:        "no usable key",
			give:        jwksDoc(t, with(rsaJWK, "use", "enc")),
			wantSkipped: []Skipped{{"rsa", "use is not sig"}},
			wantKind:    KindNoKeys,
		},
		{name: "empty set", give: jwksDoc(t), wantKind: KindNoKeys},
		{name: "not JSON", give: []byte("<html>"), wantKind: KindJSON},
		{name: "no keys member", give: []byte(`{"kyes":[]}`), wantKind: KindJSON},
		{name: "keys not an array", give: []byte(`{"keys":{}}`), wantKind: KindJSON},
		{
			name:     "too many keys",
			give:     jwksDoc(t, rsaJWK, p256, with(p256, "kid", "3")),
			maxKeys:  2,
			wantKind: KindTooManyKeys,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, skipped, err := ParseJWKS(tt.give, tt.maxKeys)
			if got := kindOf(err); got != tt.wantKind {
				t.Fatalf("ParseJWKS error = %v (kind %q), want kind %q", err, got, tt.wantKind)
			}
			var kids []string
			for _, k := range keys {
				kids = append(kids, k.ID)
			}
			if diff := cmp.Diff(tt.wantKIDs, kids); diff != "" {
				t.Errorf("published kids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkipped, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}

// kindOf returns err's kind, or "" for no error.
func kindOf(err error) string {
	if err == nil {
		return ""
	}
	return errorKind(err)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestParseJWKSKeyTypes(t *testing.T) {
	rsaPub := &testRSA()[0].PublicKey
	ecPub := ecKey(t, elliptic.P384())
	edPub := edKey(t)
	keys, _, err := ParseJWKS(jwksDoc(t, with(jwkOf(t, "r", rsaPub), "alg", "PS256"),
		jwkOf(t, "e", ecPub), jwkOf(t, "d", edPub)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !keys[0].Public.(*rsa.PublicKey).Equal(rsaPub) || keys[0].Algorithm != "PS256" {
		t.Errorf("RSA key = %+v, want the generated key with alg PS256", keys[0])
	}
	if !keys[1].Public.(*ecdsa.PublicKey).Equal(ecPub) {
		t.Errorf("EC key differs from the generated key")
	}
	if !keys[2].Public.(ed25519.PublicKey).Equal(edPub) {
		t.Errorf("Ed25519 key differs from the generated key")
	}
}

// FuzzParseJWKS asserts properties of whatever ParseJWKS publishes: never a
// panic, only supported types and sizes, never an RSA key under 2048 bits,
// never a key whose use or key_ops forbid verification, no more than the
// limit, and an error exactly when nothing is published.
func FuzzParseJWKS(f *testing.F) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	rsaJWK := jwkOf(f, "rsa", &testRSA()[0].PublicKey)
	p256 := jwkOf(f, "p256", ecKey(f, elliptic.P256()))
	seeds := [][]byte{
		jwksDoc(f, rsaJWK, p256, jwkOf(f, "p521", ecKey(f, elliptic.P521())), jwkOf(f, "ed", edKey(f))),
		jwksDoc(f, jwkOf(f, "small", &small.PublicKey)),
		jwksDoc(f, with(rsaJWK, "use", "enc"), with(p256, "key_ops", []string{"sign"})),
		jwksDoc(f, with(p256, "y", p256["x"])),
		jwksDoc(f, with(rsaJWK, "e", "AQAB====", "alg", "RS256")),
		[]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + b64u(make([]byte, 32)) + `"}]}`),
		[]byte(`{"keys":null}`), []byte(`[]`), []byte(`{"keys":[{}, 1, "x", null]}`),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 10
		keys, _, err := ParseJWKS(data, limit)
		if (err == nil) != (len(keys) > 0) {
			t.Fatalf("err = %v with %d keys published", err, len(keys))
		}
		if len(keys) > limit {
			t.Fatalf("%d keys published, over the limit of %d", len(keys), limit)
		}
		for _, k := range keys {
			if k.Use != "" && k.Use != "sig" {
				t.Errorf("key %q published with use %q", k.ID, k.Use)
			}
			if k.KeyOps != nil && !strings.Contains(strings.Join(k.KeyOps, ","), "verify") {
				t.Errorf("key %q published with key_ops %v", k.ID, k.KeyOps)
			}
			switch p := k.Public.(type) {
			case *rsa.PublicKey:
				if n := p.N.BitLen(); n < 2048 || n > 8192 || p.E < 3 || p.E%2 == 0 {
					t.Errorf("RSA key %q published with %d bits, e=%d", k.ID, n, p.E)
				}
			case *ecdsa.PublicKey:
				name := p.Curve.Params().Name
				if name != "P-256" && name != "P-384" && name != "P-521" {
					t.Errorf("EC key %q on curve %s published", k.ID, name)
				}
				if _, err := p.Bytes(); err != nil {
					t.Errorf("EC key %q invalid: %v", k.ID, err)
				}
			case ed25519.PublicKey:
				if len(p) != ed25519.PublicKeySize {
					t.Errorf("Ed25519 key %q of %d bytes published", k.ID, len(p))
				}
			default:
				t.Errorf("key %q of type %T published", k.ID, k.Public)
			}
		}
	})
}
