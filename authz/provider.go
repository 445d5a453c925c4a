package authz

import (
	"context"
	"regexp"
	"time"

	"github.com/extauthz/extauthz/jwks"
)

// KeySource gives the verification keys of one provider. *jwks.Cache
// implements it. Get must return a set holding kid (or, for an empty kid, the
// current non-empty set), waiting no longer than ctx allows, and otherwise
// jwks.ErrUnknownKey or jwks.ErrKeysUnavailable.
type KeySource interface {
	Get(ctx context.Context, kid string) (*jwks.Set, error)
}

// Provider is one trusted token issuer and the rules its tokens must meet.
type Provider struct {
	Name       string        // configured name; used in logs and metrics
	Issuer     string        // compared to the token's iss exactly
	Audiences  []string      // aud must contain one of these
	Algorithms []string      // allow-list; empty means the default list
	ClockSkew  time.Duration // leeway on exp, nbf and iat
	Keys       KeySource

	// RequiredType, when set, must equal the token's typ header, compared
	// case-insensitively with an optional "application/" prefix (RFC 9068
	// uses "at+jwt").
	RequiredType string
	// MaxLifetime, when positive, bounds exp - iat; iat is then required.
	MaxLifetime time.Duration
	// RequiredClaims must all be present in the token.
	RequiredClaims []string
	// SubjectPatterns, when not empty, must match sub (anchored regular
	// expressions); sub is then required.
	SubjectPatterns []*regexp.Regexp
}

// Limits bound what the service reads from a request before it rejects it.
// Zero fields take the defaults named on each.
type Limits struct {
	MaxTokenBytes  int // default 8192: the whole compact token
	MaxHeaderBytes int // default 1024: the decoded JOSE header
	MaxJSONDepth   int // default 16: nesting in header and claims
	MaxClaims      int // default 100: top-level claims
}

// Default limits, used for zero [Limits] fields.
const (
	DefaultMaxTokenBytes  = 8192
	DefaultMaxHeaderBytes = 1024
	DefaultMaxJSONDepth   = 16
	DefaultMaxClaims      = 100
)

// DefaultAlgorithms is the allow-list of a provider that names none: every
// asymmetric JWS algorithm the service supports. HMAC and "none" are not
// supported at all, so no configuration can allow them.
var DefaultAlgorithms = []string{
	"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
}

// withDefaults returns l with zero fields set to their defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxTokenBytes <= 0 {
		l.MaxTokenBytes = DefaultMaxTokenBytes
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxJSONDepth <= 0 {
		l.MaxJSONDepth = DefaultMaxJSONDepth
	}
	if l.MaxClaims <= 0 {
		l.MaxClaims = DefaultMaxClaims
	}
	return l
}
