package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/extauthz/extauthz/authz"
	"github.com/extauthz/extauthz/jwks"
)

// FuzzLoad checks that Parse never panics and that whatever it accepts keeps
// the invariants the rest of the service relies on.
func FuzzLoad(f *testing.F) {
	full, err := os.ReadFile(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(full), minimal, "", "providers: [",
		provider("clock_skew: -1s"), provider("algorithms: [none]"),
		provider("algorithms: [HS256]"), provider("allowed_subjects: ['(']"),
		provider("allowed_subjects: ['alice)|(bob']"), provider("insecure_allow_http: yes"),
		provider("max_cache_ttl: 1ns", "backoff_initial: 10m"), "limits: {max_claims: 1.5}",
		provider() + "  - {name: main, issuer: https://b, audiences: [x]}\n",
		"providers:\n  - &p {name: a, issuer: https://a, audiences: [x]}\n  - *p\n",
		"a: &a [*a]", "providers: [{name: a, issuer: 'http://[::1]', audiences: [x], clock_skew: 0}]",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config: ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Parse error %q is not one line starting with \"config: \"", err)
			}
			return
		}
		checkInvariants(t, cfg)
	})
}

func checkInvariants(t *testing.T, cfg *Config) {
	t.Helper()
	if len(cfg.Providers) == 0 {
		t.Fatal("accepted a config without providers")
	}
	names, issuers := map[string]bool{}, map[string]bool{}
	for i, p := range cfg.Providers {
		if p.Name == "" || p.Issuer == "" || len(p.Audiences) == 0 {
			t.Fatalf("providers[%d] accepted without name, issuer or audience: %+v", i, p)
		}
		if names[p.Name] || issuers[p.Issuer] {
			t.Fatalf("providers[%d] accepted with a duplicate name or issuer", i)
		}
		names[p.Name], issuers[p.Issuer] = true, true
		for _, d := range []Duration{*p.ClockSkew, p.RefreshInterval, p.MinRefreshInterval,
			p.MaxWait, p.FetchTimeout, p.MaxStale, p.MinCacheTTL, p.MaxCacheTTL, p.MaxTokenLifetime,
			p.BackoffInitial, p.BackoffMax} {
			if d < 0 {
				t.Fatalf("providers[%d] accepted with a negative duration %v", i, d)
			}
		}
		for _, d := range []Duration{p.RefreshInterval, p.MinRefreshInterval, p.MaxStale,
			p.MinCacheTTL, p.MaxCacheTTL, p.BackoffInitial, p.BackoffMax} {
			if d != 0 && d < Duration(time.Second) {
				t.Fatalf("providers[%d] accepted %v, below the floor of 1s", i, d)
			}
		}
		if p.MaxWait > MaxWaitCeiling || p.FetchTimeout > maxFetchTimeout {
			t.Fatalf("providers[%d] accepted max_wait %v, fetch_timeout %v, above their ceilings",
				i, p.MaxWait, p.FetchTimeout)
		}
		jc := cfg.JWKSConfig(p)
		jc.CacheDir = "" // New would create it; the durations are what is checked here
		if _, err := jwks.New(jc); err != nil {
			t.Fatalf("providers[%d] accepted, but jwks.New refuses it: %v", i, err)
		}
		for _, s := range p.AllowedSubjects {
			if _, err := regexp.Compile(s); err != nil {
				t.Fatalf("providers[%d] accepted allowed_subjects %q, invalid alone", i, s)
			}
		}
		for _, a := range p.Algorithms {
			if !slices.Contains(authz.DefaultAlgorithms, a) {
				t.Fatalf("providers[%d] accepted algorithm %q", i, a)
			}
		}
		if len(p.SubjectPatterns()) != len(p.AllowedSubjects) {
			t.Fatalf("providers[%d]: %d patterns compiled for %d allowed_subjects",
				i, len(p.SubjectPatterns()), len(p.AllowedSubjects))
		}
	}
	if cfg.ShutdownTimeout <= 0 || cfg.Listen.GRPC == "" || cfg.Listen.HTTP == "" || cfg.Listen.Admin == "" {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}
