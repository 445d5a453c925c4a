package main

import (
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// kind is the kind of token a check carries.
type kind int

// Kinds of check. Only kindAnchor and kindRotating carry a valid token.
const (
	kindAnchor    kind = iota // signed with the key published for the whole run
	kindRotating              // signed with the newest rotating key
	kindExpired               // anchor-signed, expired an hour ago
	kindRandomKid             // names a key id the provider never published
	kindTampered              // anchor-signed, then altered
	kindMissing               // no Authorization header
	numKinds
)

var kindNames = [numKinds]string{
	"anchor", "rotating", "expired", "random_kid", "tampered", "missing",
}

func (k kind) String() string { return kindNames[k] }

// valid reports whether k's tokens deserve an allow.
func (k kind) valid() bool { return k == kindAnchor || k == kindRotating }

// Deny reasons the judge tolerates for rotating-key tokens (the status
// message of authz's denied CheckResponse).
const (
	reasonUnknownKey      = "unknown_key"
	reasonKeysUnavailable = "keys_unavailable"
)

// call is one check as the judge sees it: what was sent, what came back.
type call struct {
	kind kind
	// keyKnowable is true for a rotating-key token when the provider had
	// served the token's key at least one min_refresh_interval before the
	// check began, so the service must know it by then.
	keyKnowable bool
	allowed     bool
	reason      string // status message of a denial
	err         error  // the RPC's error; nil when a CheckResponse came back
	took        time.Duration
}

// verdict is the judge's finding on one call.
type verdict int

const (
	right verdict = iota
	wrong
	hang
)

// judge decides whether c's outcome is right. A call that ran out its
// deadline, or answered after it, is a hang: Envoy would have given up on
// it. Any other RPC error is wrong, since policy failures must come back as
// denied CheckResponses. The second result says why a call is not right.
func judge(c call, deadline time.Duration) (verdict, string) {
	switch {
	case status.Code(c.err) == codes.DeadlineExceeded || c.took >= deadline:
		return hang, fmt.Sprintf("no answer within %s", deadline)
	case c.err != nil:
		return wrong, fmt.Sprintf("RPC error %s", status.Code(c.err))
	case !c.kind.valid() && c.allowed:
		return wrong, "allowed"
	case c.kind.valid() && c.allowed:
		return right, ""
	case c.kind == kindRotating && c.reason == reasonKeysUnavailable:
		// The key may be new to the service while the provider hangs: a
		// 503 within max_wait is the promised answer.
		return right, ""
	case c.kind == kindRotating && c.reason == reasonUnknownKey && !c.keyKnowable:
		// The service could not have known the key yet (issue 3, behaviour 4).
		return right, ""
	case c.kind.valid():
		return wrong, "denied: " + c.reason
	}
	return right, ""
}
