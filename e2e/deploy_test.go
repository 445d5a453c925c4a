package e2e

import (
	"testing"

	"github.com/extauthz/extauthz/config"
)

// TestDeployConfigLoads keeps the configuration shipped for docker-compose.yaml valid as the
// configuration keys evolve. It needs no peers, so it runs in plain `go test ./...` too.
func TestDeployConfigLoads(t *testing.T) {
	if _, err := config.Load("../deploy/config.yaml"); err != nil {
		t.Fatalf("config.Load(deploy/config.yaml) = %v, want no error", err)
	}
}
