package main

import (
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/extauthz/extauthz/internal/devidp"
)

// signer is one of the soak's keys: the development issuer's signer, whose
// key id prefix names its role (anchor, rotatingN, random) in the service's
// logs.
type signer = devidp.Signer

// claims are the registered claims of a soak token.
type claims struct {
	issuer, audience, subject string
	issuedAt, expires         time.Time
}

// mint signs c with s, naming s's key id in the header.
func mint(s *signer, c claims) (string, error) {
	return s.Sign(jwt.MapClaims{
		"iss": c.issuer,
		"aud": c.audience,
		"sub": c.subject,
		"iat": c.issuedAt.Unix(),
		"exp": c.expires.Unix(),
	})
}
