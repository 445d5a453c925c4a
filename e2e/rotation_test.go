package e2e

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestKeyRotation rotates the real provider's signing key: a token naming the new kid is
// allowed after one on-demand JWKS fetch, and tokens signed by the old key keep working.
func TestKeyRotation(t *testing.T) {
	s := startStack(t)
	bearer := func() map[string]string {
		tok := s.idp.token(t, map[string]any{"sub": "alice", "aud": audience})
		return map[string]string{"authorization": "Bearer " + tok}
	}
	oldKey := bearer()
	if code := checkCode(t, s, oldKey); code != codes.OK {
		t.Fatalf("Check(token of the start-up key) = %v, want OK", code)
	}

	before := s.idp.stats(t).JWKS
	s.idp.rotate(t, "ES256")
	newKey := bearer()

	// The first fetch may be refused for up to min_refresh_interval (1s) after start-up, since
	// unknown kids cannot make the service fetch more often; poll until the service fetched.
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for checkCode(t, s, newKey) != codes.OK {
		if time.Now().After(deadline) {
			t.Fatalf("Check(token of the rotated-in key) not OK within 10s; JWKS fetched %d "+
				"times since rotation", s.idp.stats(t).JWKS-before)
		}
		<-tick.C
	}
	if fetches := s.idp.stats(t).JWKS - before; fetches != 1 {
		t.Errorf("JWKS fetched %d times after the rotation, want 1", fetches)
	}
	if code := checkCode(t, s, oldKey); code != codes.OK {
		t.Errorf("Check(token of the old key) after rotation = %v, want OK", code)
	}
}

func checkCode(t *testing.T, s *stack, headers map[string]string) codes.Code {
	t.Helper()
	return codes.Code(grpcurlCheck(t, s.svc.grpcAddr, httpRequest(headers)).GetStatus().GetCode())
}
