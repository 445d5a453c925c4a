package authz

import (
	"context"
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
}
