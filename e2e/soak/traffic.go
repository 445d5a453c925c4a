package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// kind is the sort of token a check carries.
type kind int

const (
	validKnown kind = iota // signed by a key the service has had for a while: must be allowed
	validNew               // signed by the newest key, maybe not fetched yet: any answer
	expired                // signed by a known key, expired long ago: must be denied (16)
	randomKid              // a kid no provider ever published: must be denied (16 or 14)
	kinds
)

func (k kind) String() string {
	return [...]string{"valid", "valid-new-key", "expired", "random-kid"}[k]
}

// pickKind draws the traffic mix: mostly valid tokens, with an attacker's random kids and
// stale clients' expired tokens mixed in.
func pickKind(r *rand.Rand) kind {
	switch n := r.IntN(100); {
	case n < 60:
		return validKnown
	case n < 70:
		return validNew
	case n < 85:
		return expired
	default:
		return randomKid
	}
}

// checkTimeout is the deadline each check carries, as Envoy's ext_authz timeout would. An
// answer that does not come within it is a hang.
const checkTimeout = 2 * time.Second

// result is one check's outcome.
type result struct {
	kind    kind
	chaos   bool // sent while the provider misbehaved
	code    codes.Code
	err     error // a gRPC error: the service must never answer Check with one
	latency time.Duration
}

// wrong explains why r is a wrong decision, or returns "".
func (r result) wrong() string {
	switch {
	case errors.Is(r.err, context.DeadlineExceeded) ||
		status.Code(r.err) == codes.DeadlineExceeded:
		return fmt.Sprintf("%s: no answer within %v (hang)", r.kind, checkTimeout)
	case r.err != nil:
		return fmt.Sprintf("%s: gRPC error %v", r.kind, r.err)
	case r.kind == validKnown && r.code != codes.OK:
		return fmt.Sprintf("%s: denied with %v", r.kind, r.code)
	case r.kind == expired && r.code != codes.Unauthenticated:
		return fmt.Sprintf("%s: answered %v, want %v", r.kind, r.code, codes.Unauthenticated)
	case r.kind == randomKid && r.code == codes.OK:
		return fmt.Sprintf("%s: allowed", r.kind)
	}
	return ""
}

// driver sends checks from several workers until its context ends.
type driver struct {
	client authv3.AuthorizationClient
	idp    *provider
	chaos  func() bool
}

func (d *driver) run(ctx context.Context, workers int, seed uint64) []result {
	var (
		mu  sync.Mutex
		all []result
		wg  sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		// Each worker stops when ctx ends; run waits for all of them.
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			var mine []result
			for ctx.Err() == nil {
				if res, ok := d.check(r); ok {
					mine = append(mine, res)
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

// check sends one check; ok is false when there was nothing to send yet (no key has been
// fetched by the service).
func (d *driver) check(r *rand.Rand) (result, bool) {
	k := pickKind(r)
	key := d.idp.keyFor(k != validNew, r.IntN)
	if key == nil {
		return result{}, false
	}
	kid, exp := key.kid, time.Now().Add(5*time.Minute)
	switch k {
	case expired:
		exp = time.Now().Add(-time.Hour)
	case randomKid:
		b := make([]byte, 8)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		kid = "attacker-" + hex.EncodeToString(b)
	}
	token, err := d.idp.sign(key, kid, exp)
	if err != nil {
		return result{kind: k, err: fmt.Errorf("signing: %w", err)}, true
	}

	chaos := d.chaos()
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	start := time.Now()
	resp, err := d.client.Check(ctx, checkRequest(token))
	res := result{kind: k, chaos: chaos, err: err, latency: time.Since(start)}
	if err == nil {
		res.code = codes.Code(resp.GetStatus().GetCode())
	}
	return res, true
}

func checkRequest(token string) *authv3.CheckRequest {
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Method: "GET", Path: "/soak", Host: "soak.local",
			Headers: map[string]string{"authorization": "Bearer " + token},
		}},
		Source: &authv3.AttributeContext_Peer{Address: &corev3.Address{}},
	}}
}
