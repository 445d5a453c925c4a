package e2e

import (
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestSIGTERM stops a serving extauthz the way a container runtime does: it must exit 0
// (with the race-detector build, also proving no data race was seen during the run).
func TestSIGTERM(t *testing.T) {
	s := startStack(t)
	tok := s.idp.token(t, map[string]any{"sub": "alice", "aud": audience})
	headers := map[string]string{"authorization": "Bearer " + tok}
	if code := checkCode(t, s, headers); code != codes.OK {
		t.Fatalf("Check before shutdown = %v, want OK", code)
	}

	if err := s.svc.proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("sending SIGTERM: %v", err)
	}
	if err := s.svc.proc.waitExit(20 * time.Second); err != nil {
		t.Fatalf("extauthz after SIGTERM: %v, want exit status 0", err)
	}
}
