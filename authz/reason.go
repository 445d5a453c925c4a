package authz

import (
	"net/http"

	"google.golang.org/grpc/codes"
)

// Reason names why a request was allowed or denied. The set is closed: the
// values below are the only ones, so they are safe as metric label values and
// log attributes, and each maps to a fixed HTTP status, gRPC status code and
// deny body that never carries token content or internal error text.
type Reason string

// Reasons. Every reason but [ReasonOK] is a denial.
const (
	ReasonOK Reason = "ok"

	// No bearer token at all: 401 without an error parameter (RFC 6750 3.1).
	ReasonMissingToken Reason = "missing_token"

	// A token was given but is unusable: 401 with error="invalid_token".
	ReasonMultipleAuthorization Reason = "multiple_authorization"
	ReasonMalformedToken        Reason = "malformed_token"
	ReasonTokenTooLarge         Reason = "token_too_large"
	ReasonTooComplex            Reason = "token_too_complex"
	ReasonEncryptedToken        Reason = "encrypted_token"
	ReasonNestedToken           Reason = "nested_token"
	ReasonUnsupportedHeader     Reason = "unsupported_header"
	ReasonUnknownIssuer         Reason = "unknown_issuer"
	ReasonAlgorithmNotAllowed   Reason = "algorithm_not_allowed"
	ReasonUnknownKey            Reason = "unknown_key"
	ReasonAmbiguousKey          Reason = "ambiguous_key"
	ReasonKeyMismatch           Reason = "key_mismatch"
	ReasonWeakKey               Reason = "weak_key"
	ReasonBadSignature          Reason = "bad_signature"
	ReasonExpired               Reason = "expired"
	ReasonNotYetValid           Reason = "not_yet_valid"
	ReasonMissingClaim          Reason = "missing_claim"
	ReasonBadClaim              Reason = "bad_claim"
	ReasonWrongAudience         Reason = "wrong_audience"
	ReasonWrongType             Reason = "wrong_type"
	ReasonLifetimeTooLong       Reason = "lifetime_too_long"
	ReasonSubjectNotAllowed     Reason = "subject_not_allowed"

	// The provider has no usable keys now: 503, so clients retry rather than
	// fetch new tokens from an identity provider that may be in trouble.
	ReasonKeysUnavailable Reason = "keys_unavailable"

	// A valid token that fails a route's policy: 403. Reserved; nothing
	// produces it yet.
	ReasonForbidden Reason = "forbidden"
)

// reasonInfo is what a reason turns into on the wire.
type reasonInfo struct {
	httpStatus      int
	code            codes.Code
	body            string
	wwwAuthenticate string // "" when the denial sends none
}

// denyContentType is the media type of every deny body.
const denyContentType = "text/plain; charset=utf-8"

// The WWW-Authenticate values, RFC 6750 3.1: a request without a token gets
// no error code; a rejected token gets invalid_token. A 503 sends none: the
// token may be fine, and asking for a new one would burden an identity
// provider that is already struggling.
const (
	challenge             = "Bearer"
	challengeInvalidToken = `Bearer error="invalid_token"`
)

var reasons = map[Reason]reasonInfo{
	ReasonOK: {http.StatusOK, codes.OK, "", ""},
	ReasonMissingToken: {http.StatusUnauthorized, codes.Unauthenticated,
		"bearer token required\n", challenge},

	ReasonMultipleAuthorization: invalid("more than one authorization value\n"),
	ReasonMalformedToken:        invalid("malformed bearer token\n"),
	ReasonTokenTooLarge:         invalid("token too large\n"),
	ReasonTooComplex:            invalid("token too complex\n"),
	ReasonEncryptedToken:        invalid("encrypted tokens (JWE) are not accepted\n"),
	ReasonNestedToken:           invalid("nested tokens are not accepted\n"),
	ReasonUnsupportedHeader:     invalid("unsupported token header\n"),
	ReasonUnknownIssuer:         invalid("unknown token issuer\n"),
	ReasonAlgorithmNotAllowed:   invalid("token algorithm not allowed\n"),
	ReasonUnknownKey:            invalid("unknown signing key\n"),
	ReasonAmbiguousKey:          invalid("token does not name its signing key\n"),
	ReasonKeyMismatch:           invalid("signing key does not allow this algorithm\n"),
	ReasonWeakKey:               invalid("signing key too weak\n"),
	ReasonBadSignature:          invalid("invalid token signature\n"),
	ReasonExpired:               invalid("token expired\n"),
	ReasonNotYetValid:           invalid("token not yet valid\n"),
	ReasonMissingClaim:          invalid("token lacks a required claim\n"),
	ReasonBadClaim:              invalid("token has an invalid claim\n"),
	ReasonWrongAudience:         invalid("token not issued for this audience\n"),
	ReasonWrongType:             invalid("wrong token type\n"),
	ReasonLifetimeTooLong:       invalid("token lifetime too long\n"),
	ReasonSubjectNotAllowed:     invalid("token subject not allowed\n"),

	ReasonKeysUnavailable: {http.StatusServiceUnavailable, codes.Unavailable,
		"signing keys unavailable, retry later\n", ""},
	ReasonForbidden: {http.StatusForbidden, codes.PermissionDenied, "forbidden\n", ""},
}

func invalid(body string) reasonInfo {
	return reasonInfo{http.StatusUnauthorized, codes.Unauthenticated, body, challengeInvalidToken}
}

// info returns what r turns into. An unknown reason (a programming error)
// is treated as a malformed token, so it still denies.
func (r Reason) info() reasonInfo {
	if i, ok := reasons[r]; ok {
		return i
	}
	return reasons[ReasonMalformedToken]
}

// wwwAuthenticate returns the WWW-Authenticate value for a denial with r, or
// "" when none is sent.
func (r Reason) wwwAuthenticate() string { return r.info().wwwAuthenticate }
