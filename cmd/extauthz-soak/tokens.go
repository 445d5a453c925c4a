package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/extauthz/extauthz/internal/devidp"
)

// audience is the audience the soak's provider is configured with.
const audience = "soak-api"

// tokens hands out a token of each kind. Tokens stay in this process: they
// are sent to the service and never printed.
type tokens struct {
	valid    claims
	anchor   []string
	expired  []string
	tampered []string
	rotating atomic.Pointer[rotatingToken]
	unknown  *signer // never published; signs the random-kid tokens
}

// rotatingToken is a token signed with the newest rotating key.
type rotatingToken struct {
	kid, raw string
}

// newTokens mints the fixed tokens: valid ones last until well after the
// run (lifetime), expired ones ended an hour ago, beyond any clock skew.
func newTokens(issuer string, anchor *signer, lifetime time.Duration) (*tokens, error) {
	now := time.Now()
	t := &tokens{valid: claims{
		issuer: issuer, audience: audience, subject: "soak-user",
		issuedAt: now, expires: now.Add(lifetime),
	}}
	old := t.valid
	old.issuedAt, old.expires = now.Add(-2*time.Hour), now.Add(-time.Hour)
	var err error
	if t.unknown, err = devidp.NewSigner("random", "ES256"); err != nil {
		return nil, err
	}
	for i := range 4 {
		c := t.valid
		c.subject = fmt.Sprintf("soak-user-%d", i)
		valid, err := mint(anchor, c)
		if err != nil {
			return nil, err
		}
		expired, err := mint(anchor, old)
		if err != nil {
			return nil, err
		}
		t.anchor, t.expired = append(t.anchor, valid), append(t.expired, expired)
		t.tampered = append(t.tampered, tamper(valid, i%2 == 0))
	}
	return t, nil
}

// setRotating makes s the key rotating-kind tokens are signed with.
func (t *tokens) setRotating(s *signer) error {
	raw, err := mint(s, t.valid)
	if err != nil {
		return err
	}
	t.rotating.Store(&rotatingToken{kid: s.KID, raw: raw})
	return nil
}

// pick returns a token of kind k ("" for kindMissing) and, for rotating
// tokens, the key id it names.
func (t *tokens) pick(k kind, rnd *rand.Rand) (raw, kid string, err error) {
	switch k {
	case kindAnchor:
		return t.anchor[rnd.IntN(len(t.anchor))], "", nil
	case kindRotating:
		r := t.rotating.Load()
		return r.raw, r.kid, nil
	case kindExpired:
		return t.expired[rnd.IntN(len(t.expired))], "", nil
	case kindTampered:
		return t.tampered[rnd.IntN(len(t.tampered))], "", nil
	case kindRandomKid:
		// A fresh key id per call, as an attacker probing for refresh
		// storms would send.
		s := *t.unknown
		s.KID = "random-" + devidp.RandomHex(6)
		raw, err := mint(&s, t.valid)
		return raw, "", err
	}
	return "", "", nil
}

// tamper returns tok altered so its signature no longer matches: with
// inSignature, one bit of the signature flips; otherwise the payload is
// replaced by one naming another subject, keeping the signature.
func tamper(tok string, inSignature bool) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return tok + "x"
	}
	enc := base64.RawURLEncoding
	if inSignature {
		sig, err := enc.DecodeString(parts[2])
		if err != nil || len(sig) == 0 {
			return tok + "x"
		}
		sig[len(sig)/2] ^= 0x01
		parts[2] = enc.EncodeToString(sig)
		return strings.Join(parts, ".")
	}
	var payload map[string]any
	raw, err := enc.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &payload) != nil {
		return tok + "x"
	}
	payload["sub"] = "admin"
	changed, err := json.Marshal(payload)
	if err != nil {
		return tok + "x"
	}
	parts[1] = enc.EncodeToString(changed)
	return strings.Join(parts, ".")
}
