package authz

import (
	"context"
	"errors"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"github.com/google/go-cmp/cmp"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/extauthz/extauthz/jwks"
)

// setHeader is the HeaderValueOption the service uses for every header.
func setHeader(key, value string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: key, Value: value},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		Append:       wrapperspb.Bool(false),
	}
}

// wantAllow is the CheckResponse for an allowed request.
func wantAllow(headers []*corev3.HeaderValueOption, remove ...string) *authv3.CheckResponse {
	return &authv3.CheckResponse{
		Status: &rpcstatus.Status{},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{
			Headers: headers, HeadersToRemove: remove,
		}},
	}
}

// wantDeny is the CheckResponse for a denial.
func wantDeny(code int32, reason string, status typev3.StatusCode, body string,
	wwwAuthenticate string) *authv3.CheckResponse {
	headers := []*corev3.HeaderValueOption{setHeader("content-type", "text/plain; charset=utf-8")}
	if wwwAuthenticate != "" {
		headers = append(headers, setHeader("www-authenticate", wwwAuthenticate))
	}
	return &authv3.CheckResponse{
		Status: &rpcstatus.Status{Code: code, Message: reason},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status: &typev3.HttpStatus{Code: status}, Headers: headers, Body: body,
		}},
	}
}

func TestCheckResponses(t *testing.T) {
	k := testKeys()
	es := func(changes map[string]any) string {
		return "Bearer " + sign(t, "ES256", map[string]any{"kid": "ec-256"}, validClaims(changes), k.p256)
	}
	for _, c := range []struct {
		name     string
		giveReq  *authv3.CheckRequest
		giveKeys error // the key source's error, if any
		want     *authv3.CheckResponse
	}{
		{
			name:    "allowed",
			giveReq: checkRequest(map[string]string{"authorization": es(nil), "x-jwt-sub": "admin"}),
			want: wantAllow([]*corev3.HeaderValueOption{
				setHeader("x-jwt-sub", "alice"), setHeader("x-jwt-iss", testIssuer)}),
		},
		{
			name:    "allowed without sub",
			giveReq: checkRequest(map[string]string{"authorization": es(map[string]any{"sub": nil})}),
			want: wantAllow([]*corev3.HeaderValueOption{setHeader("x-jwt-iss", testIssuer)},
				"x-jwt-sub"),
		},
		{
			name: "allowed, sub with a line break",
			giveReq: checkRequest(map[string]string{
				"authorization": es(map[string]any{"sub": "alice\r\nx-admin: true"})}),
			want: wantAllow([]*corev3.HeaderValueOption{setHeader("x-jwt-iss", testIssuer)},
				"x-jwt-sub"),
		},
		{
			name:    "allowed, sub with DEL",
			giveReq: checkRequest(map[string]string{"authorization": es(map[string]any{"sub": "a\x7f"})}),
			want: wantAllow([]*corev3.HeaderValueOption{setHeader("x-jwt-iss", testIssuer)},
				"x-jwt-sub"),
		},
		{
			name: "allowed, sub with a C1 control (NEL)",
			giveReq: checkRequest(map[string]string{
				"authorization": es(map[string]any{"sub": "alice\u0085x-admin: true"})}),
			want: wantAllow([]*corev3.HeaderValueOption{setHeader("x-jwt-iss", testIssuer)},
				"x-jwt-sub"),
		},
		{
			name: "allowed, sub with a line separator",
			giveReq: checkRequest(map[string]string{
				"authorization": es(map[string]any{"sub": "alice\u2028bob"})}),
			want: wantAllow([]*corev3.HeaderValueOption{setHeader("x-jwt-iss", testIssuer)},
				"x-jwt-sub"),
		},
		{
			name: "allowed, sub in plain Unicode",
			giveReq: checkRequest(map[string]string{
				"authorization": es(map[string]any{"sub": "zoë"})}),
			want: wantAllow([]*corev3.HeaderValueOption{setHeader("x-jwt-sub", "zoë"),
				setHeader("x-jwt-iss", testIssuer)}),
		},
		{
			name:    "no token",
			giveReq: checkRequest(map[string]string{"x-jwt-sub": "admin"}),
			want:    wantDeny(16, "missing_token", 401, "bearer token required\n", "Bearer"),
		},
		{
			name:    "nil request",
			giveReq: nil,
			want:    wantDeny(16, "missing_token", 401, "bearer token required\n", "Bearer"),
		},
		{
			name:    "empty request",
			giveReq: &authv3.CheckRequest{},
			want:    wantDeny(16, "missing_token", 401, "bearer token required\n", "Bearer"),
		},
		{
			name:    "expired token",
			giveReq: checkRequest(map[string]string{"authorization": es(map[string]any{"exp": 1})}),
			want: wantDeny(16, "expired", 401, "token expired\n",
				`Bearer error="invalid_token"`),
		},
		{
			name:     "keys unavailable",
			giveReq:  checkRequest(map[string]string{"authorization": es(nil)}),
			giveKeys: jwks.ErrKeysUnavailable,
			want: wantDeny(14, "keys_unavailable", 503,
				"signing keys unavailable, retry later\n", ""),
		},
		{
			name:     "key source failing otherwise",
			giveReq:  checkRequest(map[string]string{"authorization": es(nil)}),
			giveKeys: errors.New("boom"),
			want: wantDeny(14, "keys_unavailable", 503,
				"signing keys unavailable, retry later\n", ""),
		},
		{
			name:     "unknown key from the source",
			giveReq:  checkRequest(map[string]string{"authorization": es(nil)}),
			giveKeys: jwks.ErrUnknownKey,
			want: wantDeny(16, "unknown_key", 401, "unknown signing key\n",
				`Bearer error="invalid_token"`),
		},
	} {
		s, keys := newTestServer(t, nil)
		keys.err = c.giveKeys
		got, err := s.Check(context.Background(), c.giveReq)
		if err != nil {
			t.Fatalf("Check(%s) error = %v, want nil", c.name, err)
		}
		if diff := cmp.Diff(c.want, got, protocmp.Transform()); diff != "" {
			t.Errorf("Check(%s) mismatch (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestKeysUnavailableContextDone(t *testing.T) {
	s, _ := newTestServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp, err := s.Check(ctx, checkRequest(map[string]string{
		"authorization": "Bearer " + validToken(t, "ES256")}))
	if err != nil {
		t.Fatalf("Check(cancelled) error = %v, want nil", err)
	}
	if got := reasonOf(resp); got != ReasonKeysUnavailable {
		t.Errorf("Check(cancelled) reason = %q, want %q", got, ReasonKeysUnavailable)
	}
	if got := resp.GetDeniedResponse().GetStatus().GetCode(); got != 503 {
		t.Errorf("Check(cancelled) HTTP status = %d, want 503", got)
	}
}

func TestReasonsComplete(t *testing.T) {
	for r, info := range reasons {
		switch {
		case r == ReasonOK:
			if info.code != 0 || info.body != "" {
				t.Errorf("reason %q: code %d body %q, want OK and no body", r, info.code, info.body)
			}
		case info.body == "":
			t.Errorf("reason %q has no deny body", r)
		case info.httpStatus == 401 && r != ReasonMissingToken &&
			r.wwwAuthenticate() != `Bearer error="invalid_token"`:
			t.Errorf("reason %q: WWW-Authenticate %q, want invalid_token", r, r.wwwAuthenticate())
		}
	}
	if got := deniedResponse(ReasonForbidden); got.GetStatus().GetCode() != 7 ||
		got.GetDeniedResponse().GetStatus().GetCode() != 403 {
		t.Errorf("deniedResponse(forbidden) = %v, want code 7 and HTTP 403", got)
	}
	if got := Reason("made_up").info(); got != reasons[ReasonMalformedToken] {
		t.Errorf("unknown reason info = %v, want the malformed_token denial", got)
	}
}
