package e2e

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// decodeJWT returns a compact JWS's header and claims without verifying it; the tests use it
// only to inspect what the provider issued.
func decodeJWT(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	return decodePart(t, parts[0]), decodePart(t, parts[1])
}

func decodePart(t *testing.T, part string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatalf("decoding token part: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decoding token part %s: %v", raw, err)
	}
	return m
}
