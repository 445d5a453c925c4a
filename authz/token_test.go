package authz

import (
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
)

func TestBearerToken(t *testing.T) {
	for _, c := range []struct {
		name       string
		give       []string
		wantToken  string
		wantReason Reason
	}{
		{name: "none", give: nil, wantReason: ReasonMissingToken},
		{name: "bearer", give: []string{"Bearer a.b.c"}, wantToken: "a.b.c", wantReason: ReasonOK},
		{name: "scheme lower case", give: []string{"bearer a.b.c"}, wantToken: "a.b.c",
			wantReason: ReasonOK},
		{name: "scheme upper case", give: []string{"BEARER a.b.c"}, wantToken: "a.b.c",
			wantReason: ReasonOK},
		{name: "extra spaces", give: []string{"  Bearer   a.b.c  "}, wantToken: "a.b.c",
			wantReason: ReasonOK},
		{name: "basic", give: []string{"Basic dXNlcjpwYXNz"}, wantReason: ReasonMissingToken},
		{name: "scheme only", give: []string{"Bearer"}, wantReason: ReasonMalformedToken},
		{name: "scheme and space", give: []string{"Bearer "}, wantReason: ReasonMalformedToken},
		{name: "token without scheme", give: []string{"a.b.c"}, wantReason: ReasonMissingToken},
		{name: "two tokens", give: []string{"Bearer a.b.c d.e.f"}, wantReason: ReasonMalformedToken},
		{name: "tab inside", give: []string{"Bearer a.b\tc"}, wantReason: ReasonMalformedToken},
		{name: "comma joined", give: []string{"Bearer a.b.c, Bearer d.e.f"},
			wantReason: ReasonMultipleAuthorization},
		{name: "comma alone", give: []string{"Bearer a.b.c,"}, wantReason: ReasonMultipleAuthorization},
		{name: "two values", give: []string{"Bearer a.b.c", "Bearer a.b.c"},
			wantReason: ReasonMultipleAuthorization},
		{name: "too long", give: []string{"Bearer " + strings.Repeat("a", 101)},
			wantReason: ReasonTokenTooLarge},
		{name: "control character", give: []string{"Bearer a.b.c\x00"}, wantReason: ReasonMalformedToken},
	} {
		tok, r := bearerToken(c.give, 100)
		if tok != c.wantToken || r != c.wantReason {
			t.Errorf("bearerToken(%s) = %q, %q; want %q, %q", c.name, tok, r, c.wantToken, c.wantReason)
		}
	}
}

// headerMapRequest builds a CheckRequest with headers only in header_map, as
// Envoy sends them with encode_raw_headers.
func headerMapRequest(headers ...*corev3.HeaderValue) *authv3.CheckRequest {
	req := checkRequest(nil)
	req.Attributes.Request.Http.HeaderMap = &corev3.HeaderMap{Headers: headers}
	return req
}

func TestHeaderMapRawValue(t *testing.T) {
	s, _ := newTestServer(t, nil)
	valid := "Bearer " + validToken(t, "ES256")
	for _, c := range []struct {
		name       string
		giveReq    *authv3.CheckRequest
		wantReason Reason
	}{
		{"raw_value", headerMapRequest(&corev3.HeaderValue{Key: "authorization",
			RawValue: []byte(valid)}), ReasonOK},
		{"value", headerMapRequest(&corev3.HeaderValue{Key: "authorization", Value: valid}),
			ReasonOK},
		{"raw_value wins over value", headerMapRequest(&corev3.HeaderValue{Key: "authorization",
			Value: "Bearer x.y.z", RawValue: []byte(valid)}), ReasonOK},
		{"mixed-case key", headerMapRequest(&corev3.HeaderValue{Key: "Authorization",
			RawValue: []byte(valid)}), ReasonOK},
		{"other headers only", headerMapRequest(&corev3.HeaderValue{Key: "x-authorization",
			RawValue: []byte(valid)}), ReasonMissingToken},
		{"raw_value with a NUL", headerMapRequest(&corev3.HeaderValue{Key: "authorization",
			RawValue: []byte(valid + "\x00")}), ReasonMalformedToken},
		{"raw_value with CRLF", headerMapRequest(&corev3.HeaderValue{Key: "authorization",
			RawValue: []byte(valid + "\r\nx-jwt-sub: admin")}), ReasonMalformedToken},
		{"raw_value not UTF-8", headerMapRequest(&corev3.HeaderValue{Key: "authorization",
			RawValue: append([]byte(valid), 0xff)}), ReasonMalformedToken},
	} {
		resp, err := s.Check(t.Context(), c.giveReq)
		if err != nil {
			t.Fatalf("Check(%s): %v", c.name, err)
		}
		if got := reasonOf(resp); got != c.wantReason {
			t.Errorf("Check(%s) reason = %q, want %q", c.name, got, c.wantReason)
		}
	}
	assertStillAllows(t, s)
}

func TestMultipleAuthorization(t *testing.T) {
	s, _ := newTestServer(t, nil)
	valid := "Bearer " + validToken(t, "ES256")
	other := "Bearer " + validToken(t, "EdDSA")
	both := checkRequest(map[string]string{"authorization": valid})
	both.Attributes.Request.Http.HeaderMap = &corev3.HeaderMap{Headers: []*corev3.HeaderValue{
		{Key: "authorization", RawValue: []byte(other)},
	}}
	for _, c := range []struct {
		name    string
		giveReq *authv3.CheckRequest
	}{
		{"comma joined by Envoy", checkRequest(map[string]string{"authorization": valid + "," + other})},
		{"same token twice", checkRequest(map[string]string{"authorization": valid + "," + valid})},
		{"keys differing in case", checkRequest(map[string]string{
			"authorization": valid, "Authorization": other})},
		{"header_map twice", headerMapRequest(
			&corev3.HeaderValue{Key: "authorization", RawValue: []byte(valid)},
			&corev3.HeaderValue{Key: "authorization", RawValue: []byte(other)})},
		{"headers and header_map", both},
		{"raw_value comma joined", headerMapRequest(
			&corev3.HeaderValue{Key: "authorization", RawValue: []byte(valid + ", " + other)})},
	} {
		resp, err := s.Check(t.Context(), c.giveReq)
		if err != nil {
			t.Fatalf("Check(%s): %v", c.name, err)
		}
		if got := reasonOf(resp); got != ReasonMultipleAuthorization {
			t.Errorf("Check(%s) reason = %q, want %q", c.name, got, ReasonMultipleAuthorization)
		}
		if got := resp.GetDeniedResponse().GetStatus().GetCode(); got != 401 {
			t.Errorf("Check(%s) HTTP status = %d, want 401", c.name, got)
		}
	}
	assertStillAllows(t, s)
}
