package main

import "testing"

func TestParseCounter(t *testing.T) {
	text := `# HELP extauthz_jwks_refresh_total Key set refreshes.
# TYPE extauthz_jwks_refresh_total counter
extauthz_jwks_refresh_total{provider="soak",result="error"} 7
extauthz_jwks_refresh_total{provider="soak",result="success"} 12
extauthz_jwks_refresh_total{result="success",provider="other"} 3
extauthz_jwks_refresh_total_other{provider="soak",result="success"} 100
extauthz_jwks_fetch_errors_total{provider="soak",kind="status"} 4
`
	got, err := parseCounter(text, "extauthz_jwks_refresh_total", "result")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"error": 7, "success": 15}
	if len(got) != len(want) || got["error"] != want["error"] || got["success"] != want["success"] {
		t.Errorf("parseCounter() = %v, want %v", got, want)
	}
}
