package e2e

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
)

// checkMethod is the RPC Envoy's ext_authz filter calls.
const checkMethod = "envoy.service.auth.v3.Authorization/Check"

// httpRequest returns a CheckRequest as Envoy sends it, in grpcurl's JSON, with headers in
// the attributes' headers map.
func httpRequest(headers map[string]string) map[string]any {
	return map[string]any{"attributes": map[string]any{"request": map[string]any{
		"http": map[string]any{
			"method": "GET", "path": "/orders/1", "host": "api.local", "protocol": "HTTP/1.1",
			"headers": headers,
		},
	}}}
}

// rawHeaderRequest returns a CheckRequest with headers in header_map as raw bytes, as Envoy
// sends them with encode_raw_headers.
func rawHeaderRequest(headers map[string]string) map[string]any {
	var list []map[string]any
	for k, v := range headers {
		list = append(list, map[string]any{"key": k, "raw_value": []byte(v)})
	}
	return map[string]any{"attributes": map[string]any{"request": map[string]any{
		"http": map[string]any{
			"method": "GET", "path": "/orders/1", "host": "api.local",
			"header_map": map[string]any{"headers": list},
		},
	}}}
}

// grpcurlCheck sends req through grpcurl (found through server reflection, as an operator
// would) and returns the CheckResponse. A deny is a successful call, so grpcurl must exit 0.
func grpcurlCheck(t *testing.T, addr string, req map[string]any) *authv3.CheckResponse {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(peer(t, "grpcurl"), "-plaintext", "-max-time", "10", "-d", "@",
		addr, checkMethod)
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("grpcurl %s: %v\nstderr: %s\nstdout: %s", checkMethod, err, stderr.Bytes(),
			stdout.Bytes())
	}
	var resp authv3.CheckResponse
	if err := protojson.Unmarshal(stdout.Bytes(), &resp); err != nil {
		t.Fatalf("grpcurl printed no CheckResponse: %v\n%s", err, stdout.Bytes())
	}
	return &resp
}

// header returns the value of the header key in list, and whether it is there.
func header(list []*corev3.HeaderValueOption, key string) (string, bool) {
	if h := headerOption(list, key); h != nil {
		return h.GetHeader().GetValue(), true
	}
	return "", false
}

func headerOption(list []*corev3.HeaderValueOption, key string) *corev3.HeaderValueOption {
	for _, h := range list {
		if strings.EqualFold(h.GetHeader().GetKey(), key) {
			return h
		}
	}
	return nil
}

// overwrites reports whether Envoy replaces a client's copy of the header instead of adding a
// second value: append_action for current Envoys, append=false for older ones.
func overwrites(h *corev3.HeaderValueOption) bool {
	return h.GetAppendAction() == corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD &&
		h.GetAppend() != nil && !h.GetAppend().GetValue()
}

type grpcCase struct {
	name    string
	give    func(s *stack) map[string]any
	wantSub string // for allows: the x-jwt-sub the upstream gets
	// for denies: code 16 with a 401 and this WWW-Authenticate value
	wantDeny string
}

func (tc grpcCase) run(t *testing.T, s *stack) {
	resp := grpcurlCheck(t, s.svc.grpcAddr, tc.give(s))
	code := codes.Code(resp.GetStatus().GetCode())
	if tc.wantDeny == "" {
		if code != codes.OK || resp.GetOkResponse() == nil {
			t.Fatalf("Check status = %v with %v, want OK with an ok_response", code, resp)
		}
		okHeaders := resp.GetOkResponse().GetHeaders()
		if sub, _ := header(okHeaders, "x-jwt-sub"); sub != tc.wantSub {
			t.Errorf("Check ok_response x-jwt-sub = %q, want %q (%v)", sub, tc.wantSub, resp)
		}
		if iss, _ := header(okHeaders, "x-jwt-iss"); iss != s.idp.issuer {
			t.Errorf("Check ok_response x-jwt-iss = %q, want %q", iss, s.idp.issuer)
		}
		for _, h := range okHeaders {
			if !overwrites(h) {
				t.Errorf("Check ok_response header %v would not overwrite a client's copy", h)
			}
		}
		return
	}
	denied := resp.GetDeniedResponse()
	if code != codes.Unauthenticated ||
		denied.GetStatus().GetCode() != typev3.StatusCode_Unauthorized {
		t.Fatalf("Check = status %v, HTTP %v, want %v and 401 (%v)", code,
			denied.GetStatus().GetCode(), codes.Unauthenticated, resp)
	}
	if got, _ := header(denied.GetHeaders(), "www-authenticate"); got != tc.wantDeny {
		t.Errorf("Check denied WWW-Authenticate = %q, want %q", got, tc.wantDeny)
	}
}

func TestGRPCCheck(t *testing.T) {
	s := startStack(t)
	bearer := func(claims map[string]any) map[string]string {
		return map[string]string{"authorization": "Bearer " + s.idp.token(t, claims)}
	}
	alice := map[string]any{"sub": "alice", "aud": audience}
	invalid := `Bearer error="invalid_token"`

	for _, tc := range []grpcCase{{
		name:    "allowed",
		give:    func(*stack) map[string]any { return httpRequest(bearer(alice)) },
		wantSub: "alice",
	}, {
		name:    "allowed over header_map",
		give:    func(*stack) map[string]any { return rawHeaderRequest(bearer(alice)) },
		wantSub: "alice",
	}, {
		name: "forged identity header is overwritten",
		give: func(*stack) map[string]any {
			h := bearer(alice)
			h["x-jwt-sub"] = "admin"
			return httpRequest(h)
		},
		wantSub: "alice",
	}, {
		name:     "no token",
		give:     func(*stack) map[string]any { return httpRequest(map[string]string{}) },
		wantDeny: "Bearer",
	}, {
		name: "tampered signature",
		give: func(*stack) map[string]any {
			h := bearer(alice)
			h["authorization"] = tamper(h["authorization"])
			return httpRequest(h)
		},
		wantDeny: invalid,
	}, {
		name: "expired",
		give: func(*stack) map[string]any {
			return httpRequest(bearer(map[string]any{"sub": "alice", "aud": audience,
				"iat": 1_600_000_000, "nbf": 1_600_000_000, "exp": 1_600_000_300}))
		},
		wantDeny: invalid,
	}, {
		name: "wrong audience",
		give: func(*stack) map[string]any {
			return httpRequest(bearer(map[string]any{"sub": "alice", "aud": "billing-api"}))
		},
		wantDeny: invalid,
	}, {
		name: "not a JWT",
		give: func(*stack) map[string]any {
			return httpRequest(map[string]string{"authorization": "Bearer abc"})
		},
		wantDeny: invalid,
	}} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, s) })
	}

	t.Run("token without sub removes a forged x-jwt-sub", func(t *testing.T) {
		h := bearer(map[string]any{"sub": nil, "aud": audience})
		h["x-jwt-sub"] = "admin"
		resp := grpcurlCheck(t, s.svc.grpcAddr, httpRequest(h))
		ok := resp.GetOkResponse()
		if codes.Code(resp.GetStatus().GetCode()) != codes.OK || ok == nil {
			t.Fatalf("Check = %v, want OK", resp)
		}
		if sub, set := header(ok.GetHeaders(), "x-jwt-sub"); set {
			t.Errorf("Check ok_response sets x-jwt-sub = %q for a token without sub", sub)
		}
		if !containsFold(ok.GetHeadersToRemove(), "x-jwt-sub") {
			t.Errorf("Check ok_response headers_to_remove = %v, want x-jwt-sub",
				ok.GetHeadersToRemove())
		}
	})
}

// tamper flips one character in the signature of the bearer token in an Authorization value.
func tamper(authorization string) string {
	b := []byte(authorization)
	i := len(b) - 5
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
