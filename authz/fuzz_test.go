package authz

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzToken builds a token from fuzzed header and claims bytes, signed with
// the test's Ed25519 key when signed is true, else with a junk signature.
func fuzzToken(header, claims []byte, signed bool) string {
	input := b64(header) + "." + b64(claims)
	sig := []byte("not a signature")
	if signed {
		sig = ed25519.Sign(testKeys().ed, []byte(input))
	}
	return input + "." + b64(sig)
}

// claimsValidOracle is an independent, deliberately simple reading of what
// valid claims are, for the fuzz property: iss ours, aud ours, exp a number
// later than now less the skew.
func claimsValidOracle(claims []byte, skew time.Duration) bool {
	var c map[string]any
	d := json.NewDecoder(strings.NewReader(string(claims)))
	d.UseNumber()
	if d.Decode(&c) != nil || c["iss"] != testIssuer {
		return false
	}
	ours := func(a any) bool { return a == testAudience || a == "other-api" }
	switch aud := c["aud"].(type) {
	case string:
		if !ours(aud) {
			return false
		}
	case []any:
		if !slices.ContainsFunc(aud, ours) {
			return false
		}
	default:
		return false
	}
	exp, ok := c["exp"].(json.Number)
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(exp), 64)
	return err == nil && f > float64(testNow.Add(-skew).Unix()-1)
}

func FuzzVerify(f *testing.F) {
	hdr := func(v any) []byte { return []byte(mustJSON(v)) }
	good := hdr(validClaims(nil))
	iss := `{"iss":"` + testIssuer + `",`
	f.Add(hdr(map[string]any{"alg": "EdDSA", "kid": "ed-1"}), good, true)
	f.Add(hdr(map[string]any{"alg": "EdDSA"}), good, true)
	f.Add(hdr(map[string]any{"alg": "EdDSA", "kid": "ed-1"}), good, false)
	f.Add(hdr(map[string]any{"alg": "none"}), good, false)
	f.Add(hdr(map[string]any{"alg": "HS256", "kid": "ed-1"}), good, true)
	f.Add(hdr(map[string]any{"alg": "ES256", "kid": "ed-1"}), good, true)
	f.Add(hdr(map[string]any{"alg": "EdDSA", "crit": []string{"exp"}}), good, true)
	f.Add(hdr(map[string]any{"alg": "EdDSA", "b64": false}), good, true)
	f.Add(hdr(map[string]any{"alg": "EdDSA", "cty": "JWT"}), good, true)
	f.Add(hdr(map[string]any{"alg": "EdDSA", "jwk": map[string]any{"kty": "OKP"}}), good, true)
	f.Add([]byte(`{"alg":"EdDSA","alg":"none"}`), good, true)
	f.Add(hdr(map[string]any{"alg": "EdDSA"}), hdr(validClaims(map[string]any{"exp": 1})), true)
	eddsa := hdr(map[string]any{"alg": "EdDSA"})
	f.Add(eddsa, hdr(validClaims(map[string]any{"exp": "9999999999"})), true)
	f.Add(eddsa, hdr(validClaims(map[string]any{"aud": "orders-api-evil"})), true)
	f.Add(eddsa, []byte(iss+`"aud":"orders-api","exp":1e400}`), true)
	f.Add(eddsa, []byte(iss+`"aud":["orders-api"],"exp":1773500966.5}`), true)
	f.Add(eddsa, []byte(`{"a":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}`), true)
	f.Add([]byte("{"), []byte("}"), true)

	s, _ := newTestServer(f, nil)
	pub := testKeys().ed.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, header, claims []byte, signed bool) {
		tok := fuzzToken(header, claims, signed)
		got := checkToken(t, s, tok)
		if got != ReasonOK {
			if _, known := reasons[got]; !known {
				t.Fatalf("Check reason %q is not in the closed set", got)
			}
			return
		}
		// Allowed: the token must be ours, over valid claims.
		i := strings.LastIndexByte(tok, '.')
		var h struct{ Alg string }
		switch {
		case !signed || !ed25519.Verify(pub, []byte(tok[:i]), mustB64(t, tok[i+1:])):
			t.Fatalf("allowed a token not signed by the test's key: header %q claims %q", header, claims)
		case json.Unmarshal(header, &h) != nil || h.Alg != "EdDSA":
			t.Fatalf("allowed a token whose header alg is not EdDSA: %q", header)
		case !claimsValidOracle(claims, 30*time.Second):
			t.Fatalf("allowed invalid claims %q", claims)
		}
	})
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := b64Decode(s)
	if err != nil {
		t.Fatalf("decoding signature: %v", err)
	}
	return b
}

func FuzzAuthorizationHeader(f *testing.F) {
	valid := validToken(f, "EdDSA")
	for _, v := range []string{
		"Bearer " + valid, "bearer " + valid, "BEARER\t" + valid, "  Bearer   " + valid + " ",
		"Bearer " + valid + ", Bearer " + valid, "Basic dXNlcjpwYXNz", "Bearer", "", "Bearer a.b.c",
		"Bearer " + valid + "\r\nX-Jwt-Sub: admin", "Bearer " + strings.Repeat("A", 9000),
		"Bearer ====", "Bearer " + valid + "==",
	} {
		f.Add(v)
	}
	s, _ := newTestServer(f, nil)
	h := s.HTTPHandler()
	f.Fuzz(func(t *testing.T, value string) {
		tok, r := bearerToken([]string{value}, DefaultMaxTokenBytes)
		if r == ReasonOK {
			scheme, _, _ := strings.Cut(strings.TrimLeft(value, " \t"), " ")
			switch {
			case !strings.EqualFold(scheme, "bearer"):
				t.Fatalf("bearerToken(%q) took a token from scheme %q", value, scheme)
			case !isB64Token(tok), strings.Contains(value, ","), !strings.Contains(value, tok):
				t.Fatalf("bearerToken(%q) = %q, not a b64token of a single value", value, tok)
			}
		}

		resp, err := s.Check(t.Context(), checkRequest(map[string]string{"authorization": value}))
		if err != nil {
			t.Fatalf("Check(%q): %v", value, err)
		}
		got := reasonOf(resp)
		if got == ReasonOK && tok != valid {
			t.Fatalf("Check(%q) allowed a token other than the valid one", value)
		}

		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", value)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if want := got.info().httpStatus; rec.Code != want {
			t.Fatalf("forward-auth(%q) status = %d, want %d as Check (%q)", value, rec.Code, want, got)
		}
	})
}

// FuzzReadObject checks that the limit-checking reader builds exactly the
// value encoding/json decodes (numbers as json.Number) whenever it accepts
// an input, and that it accepts every object within its limits that
// encoding/json accepts and that has no duplicate top-level names.
func FuzzReadObject(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a":1}`, `{"a":[],"b":{},"c":null,"d":true,"e":"x\u00e9"}`,
		`{"a":{"b":{"c":[1,2.5e3,-0]}}}`, `{"a":{"x":1,"x":2}}`, `{"a":1,"a":2}`,
		`{"a":1} {}`, `[1]`, `{"a":"\ud800"}`, `{"a":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const maxDepth, maxMembers = 16, 100
		got, err := readObject(b, maxDepth, maxMembers)

		var want map[string]any
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		stdErr := dec.Decode(&want)
		if stdErr == nil {
			if _, end := dec.Token(); end != io.EOF {
				stdErr = errors.New("data after the object")
			}
		}
		if err != nil {
			if stdErr == nil && want != nil && !errors.Is(err, errTooComplex) &&
				err.Error() != "duplicate member" {
				t.Fatalf("readObject(%q) = %v; encoding/json accepts it", b, err)
			}
			return
		}
		if stdErr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("readObject(%q) = %#v; encoding/json gives %#v, %v", b, got, want, stdErr)
		}
	})
}
