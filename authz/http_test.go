package authz

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/extauthz/extauthz/jwks"
)

// httpResult is what the forward-auth handler answered, trimmed to what a
// proxy reads.
type httpResult struct {
	Status          int
	WWWAuthenticate string
	Sub, Iss        string
	Body            string
}

func serveForwardAuth(h http.Handler, method, path string, authorization ...string) httpResult {
	req := httptest.NewRequest(method, path, strings.NewReader("ignored body"))
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	// Identity headers a client sends are neither read nor echoed.
	req.Header.Set("X-Jwt-Sub", "admin")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return httpResult{
		Status:          rec.Code,
		WWWAuthenticate: rec.Header().Get("WWW-Authenticate"),
		Sub:             rec.Header().Get("X-Jwt-Sub"),
		Iss:             rec.Header().Get("X-Jwt-Iss"),
		Body:            rec.Body.String(),
	}
}

func TestHTTPHandler(t *testing.T) {
	k := testKeys()
	valid := "Bearer " + validToken(t, "PS384")
	noSub := "Bearer " + sign(t, "ES256", map[string]any{"kid": "ec-256"},
		validClaims(map[string]any{"sub": nil}), k.p256)
	invalid := `Bearer error="invalid_token"`
	for _, c := range []struct {
		name          string
		giveMethod    string
		givePath      string
		giveAuth      []string
		giveKeysError error
		want          httpResult
	}{
		{"allowed GET", "GET", "/", []string{valid}, nil,
			httpResult{Status: 200, Sub: "alice", Iss: testIssuer}},
		{"allowed POST on any path", "POST", "/auth/check?x=1", []string{valid}, nil,
			httpResult{Status: 200, Sub: "alice", Iss: testIssuer}},
		{"allowed without sub", "GET", "/", []string{noSub}, nil,
			httpResult{Status: 200, Iss: testIssuer}},
		{"no token", "GET", "/", nil, nil,
			httpResult{Status: 401, WWWAuthenticate: "Bearer", Body: "bearer token required\n"}},
		{"bad token", "DELETE", "/x", []string{"Bearer a.b.c"}, nil,
			httpResult{Status: 401, WWWAuthenticate: invalid, Body: "malformed bearer token\n"}},
		{"two Authorization headers", "GET", "/", []string{valid, valid}, nil,
			httpResult{Status: 401, WWWAuthenticate: invalid,
				Body: "more than one authorization value\n"}},
		{"keys unavailable", "GET", "/", []string{valid}, jwks.ErrKeysUnavailable,
			httpResult{Status: 503, Body: "signing keys unavailable, retry later\n"}},
	} {
		s, keys := newTestServer(t, nil)
		keys.err = c.giveKeysError
		got := serveForwardAuth(s.HTTPHandler(), c.giveMethod, c.givePath, c.giveAuth...)
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("forward-auth(%s) mismatch (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestHTTPMatchesCheck runs hostile tokens through both listeners: the
// forward-auth status and WWW-Authenticate must follow Check's decision.
func TestHTTPMatchesCheck(t *testing.T) {
	s, _ := newTestServer(t, nil)
	k := testKeys()
	for _, tok := range []string{
		validToken(t, "ES512"),
		sign(t, "none", nil, validClaims(nil), nil),
		sign(t, "ES256", map[string]any{"kid": "ec-256"}, validClaims(map[string]any{"exp": 1}), k.p256),
		sign(t, "ES256", map[string]any{"kid": "nope"}, validClaims(nil), k.p256),
	} {
		resp, err := s.Check(t.Context(), checkRequest(map[string]string{"authorization": "Bearer " + tok}))
		if err != nil {
			t.Fatal(err)
		}
		got := serveForwardAuth(s.HTTPHandler(), "GET", "/", "Bearer "+tok)
		r := reasonOf(resp)
		if want := r.info().httpStatus; got.Status != want {
			t.Errorf("forward-auth status = %d, want %d (Check reason %q)", got.Status, want, r)
		}
		if want := r.wwwAuthenticate(); got.WWWAuthenticate != want {
			t.Errorf("forward-auth WWW-Authenticate = %q, want %q", got.WWWAuthenticate, want)
		}
	}
	assertStillAllows(t, s)
}
