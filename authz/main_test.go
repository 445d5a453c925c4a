package authz

import (
	"testing"

	"go.uber.org/goleak"
)

// The gRPC tests start servers and clients; none may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
