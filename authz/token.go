package authz

import (
	"strings"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
)

// authorizationValues returns every Authorization value of req, from both the
// headers map and header_map: Envoy fills the latter instead when
// encode_raw_headers is set, with the value in raw_value. Keys are compared
// case-insensitively, since only Envoy promises lower case.
func authorizationValues(req *authv3.CheckRequest) []string {
	h := req.GetAttributes().GetRequest().GetHttp()
	var vals []string
	for k, v := range h.GetHeaders() {
		if strings.EqualFold(k, "authorization") {
			vals = append(vals, v)
		}
	}
	for _, hv := range h.GetHeaderMap().GetHeaders() {
		if !strings.EqualFold(hv.GetKey(), "authorization") {
			continue
		}
		if raw := hv.GetRawValue(); len(raw) > 0 {
			vals = append(vals, string(raw))
		} else {
			vals = append(vals, hv.GetValue())
		}
	}
	return vals
}

// bearerToken finds the token in the Authorization values of a request.
// It returns the token, or "" and the reason for a denial.
//
// Several values are denied rather than one picked: which one a proxy or an
// upstream would use is not defined. Envoy joins repeated headers with
// commas, and a JWT never holds a comma, so a comma means several values too.
func bearerToken(values []string, maxTokenBytes int) (string, Reason) {
	switch {
	case len(values) == 0:
		return "", ReasonMissingToken
	case len(values) > 1 || strings.Contains(values[0], ","):
		return "", ReasonMultipleAuthorization
	}
	v := strings.Trim(values[0], " \t")
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "bearer") {
		// Another scheme (Basic, DPoP...) carries no bearer token: RFC 6750
		// treats that as a request without one.
		return "", ReasonMissingToken
	}
	tok := strings.TrimLeft(rest, " ")
	switch {
	case len(tok) > maxTokenBytes:
		return "", ReasonTokenTooLarge
	case !isB64Token(tok):
		return "", ReasonMalformedToken
	}
	return tok, ReasonOK
}

// isB64Token reports whether s matches RFC 6750 2.1's b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}
