package authz

import (
	"unicode"
	"unicode/utf8"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Identity headers: set on the upstream request for an allowed token. They
// are the service's alone; one a client sent is overwritten or removed.
const (
	HeaderSubject = "x-jwt-sub"
	HeaderIssuer  = "x-jwt-iss"
)

// identity holds the identity header values of an allowed request; an
// empty value, which is also what headerSafe makes of a value that could not
// travel safely, means the header must be removed.
type identity struct {
	sub, iss string
}

// headerSafe returns v, or "" when v holds a control character (C0, DEL or
// C1, such as NEL), a Unicode line or paragraph separator, a replaced invalid
// byte, or leading or trailing white space: such a value could split or alter
// headers on the way upstream, or be read differently by the next hop.
func headerSafe(v string) string {
	for _, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
			return ""
		}
	}
	if len(v) > 0 && (v[0] == ' ' || v[len(v)-1] == ' ') {
		return ""
	}
	return v
}

// pairs returns the identity headers, in a fixed order, with their values.
func (id identity) pairs() [2][2]string {
	return [2][2]string{{HeaderSubject, id.sub}, {HeaderIssuer, id.iss}}
}

// okResponse allows the request, overwriting each identity header that has a
// value and removing the others, so no client-sent copy reaches the upstream.
func okResponse(id identity) *authv3.CheckResponse {
	ok := &authv3.OkHttpResponse{}
	for _, p := range id.pairs() {
		if p[1] == "" {
			ok.HeadersToRemove = append(ok.HeadersToRemove, p[0])
			continue
		}
		ok.Headers = append(ok.Headers, overwrite(p[0], p[1]))
	}
	return &authv3.CheckResponse{
		Status:       &rpcstatus.Status{},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok},
	}
}

// deniedResponse denies the request for r, with r's fixed status and body.
// The status message is the reason name, never error text.
func deniedResponse(r Reason) *authv3.CheckResponse {
	info := r.info()
	denied := &authv3.DeniedHttpResponse{
		Status: &typev3.HttpStatus{Code: typev3.StatusCode(info.httpStatus)},
		Headers: []*corev3.HeaderValueOption{
			overwrite("content-type", denyContentType),
		},
		Body: info.body,
	}
	if v := info.wwwAuthenticate; v != "" {
		denied.Headers = append(denied.Headers, overwrite("www-authenticate", v))
	}
	return &authv3.CheckResponse{
		Status:       &rpcstatus.Status{Code: int32(info.code), Message: string(r)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: denied},
	}
}

// overwrite sets a header, replacing any value it had.
func overwrite(key, value string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: key, Value: value},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		// Envoys that predate append_action read only this field.
		Append: wrapperspb.Bool(false),
	}
}
