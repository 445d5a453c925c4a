package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/extauthz/extauthz/authz"
	"github.com/extauthz/extauthz/jwks"
)

const minimal = `
providers:
  - name: main
    issuer: https://idp.example.com
    audiences: [orders-api]
`

func TestParseMinimalDefaults(t *testing.T) {
	cfg, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatalf("Parse(minimal) error = %v", err)
	}
	want := &Config{
		Listen:          Listen{GRPC: "127.0.0.1:9001", HTTP: "127.0.0.1:9002", Admin: "127.0.0.1:9090"},
		Log:             Log{Level: "info", Format: "json"},
		ShutdownTimeout: DefaultShutdownTimeout,
		Providers: []Provider{{
			Name:      "main",
			Issuer:    "https://idp.example.com",
			Audiences: []string{"orders-api"},
			ClockSkew: ptr(Duration(60 * time.Second)),
		}},
	}
	if diff := cmp.Diff(want, cfg, cmpopts.IgnoreUnexported(Provider{})); diff != "" {
		t.Errorf("Parse(minimal) mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadFull(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatalf("Load(full.yaml) error = %v", err)
	}
	p := cfg.Providers[0]

	gotJWKS := cfg.JWKSConfig(p)
	wantJWKS := jwks.Config{
		Name:               "main",
		Issuer:             "https://idp.example.com",
		JWKSURI:            "https://idp.example.com/keys",
		RefreshInterval:    10 * time.Minute,
		MinRefreshInterval: time.Second,
		MaxWait:            500 * time.Millisecond,
		FetchTimeout:       2 * time.Second,
		MaxStale:           12 * time.Hour,
		MinCacheTTL:        time.Second,
		MaxCacheTTL:        time.Hour,
		BackoffInitial:     2 * time.Second,
		BackoffMax:         time.Minute,
		CacheDir:           "/var/lib/extauthz",
		MaxResponseBytes:   65536,
		MaxKeys:            20,
		MaxRedirects:       1,
	}
	if diff := cmp.Diff(wantJWKS, gotJWKS, cmpopts.IgnoreFields(jwks.Config{},
		"OnReadyChange", "HTTPClient", "Logger", "Metrics")); diff != "" {
		t.Errorf("JWKSConfig mismatch (-want +got):\n%s", diff)
	}

	ap := p.AuthzProvider(nil)
	if ap.ClockSkew != 0 || ap.MaxLifetime != time.Hour || ap.RequiredType != "at+jwt" {
		t.Errorf("AuthzProvider = skew %v, lifetime %v, typ %q; want 0, 1h, at+jwt",
			ap.ClockSkew, ap.MaxLifetime, ap.RequiredType)
	}
	if diff := cmp.Diff([]string{"RS256", "ES256"}, ap.Algorithms); diff != "" {
		t.Errorf("AuthzProvider algorithms (-want +got):\n%s", diff)
	}
	if !cfg.Providers[1].InsecureAllowHTTP || cfg.JWKSConfig(cfg.Providers[1]).InsecureAllowHTTP != true {
		t.Errorf("providers[1] insecure_allow_http not carried into jwks.Config")
	}
	if got, want := cfg.AuthzLimits(), (authz.Limits{
		MaxTokenBytes: 4096, MaxHeaderBytes: 512, MaxJSONDepth: 8, MaxClaims: 50,
	}); got != want {
		t.Errorf("AuthzLimits() = %+v, want %+v", got, want)
	}
	if !cfg.TLS.Enabled() || cfg.TLS.ClientCAFile != "/etc/extauthz/ca.crt" {
		t.Errorf("TLS = %+v, want enabled with a client CA", cfg.TLS)
	}
	if cfg.Listen.GRPC != "127.0.0.1:7001" || cfg.ShutdownTimeout != Duration(20*time.Second) {
		t.Errorf("listen.grpc = %q, shutdown_timeout = %v", cfg.Listen.GRPC, cfg.ShutdownTimeout)
	}
}

func TestAllowedSubjectsAnchored(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatalf("Load(full.yaml) error = %v", err)
	}
	pats := cfg.Providers[0].AuthzProvider(nil).SubjectPatterns
	match := func(sub string) bool {
		for _, re := range pats {
			if re.MatchString(sub) {
				return true
			}
		}
		return false
	}
	for sub, want := range map[string]bool{
		"alice": true, "user-42": true, "malice": false, "alice2": false,
		"user-42x": false, "xuser-1": false, "": false,
	} {
		if got := match(sub); got != want {
			t.Errorf("allowed_subjects match %q = %v, want %v", sub, got, want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if err == nil || !strings.HasPrefix(err.Error(), "config: ") {
		t.Fatalf("Load(absent) error = %v, want a config: error", err)
	}
}

func TestLoadFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("Load(%s) error = %v", path, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAuthzProviderWithoutValidate(t *testing.T) {
	p := Provider{AllowedSubjects: []string{"alice", "bad(", "carol)|(dave"}}
	pats := p.AuthzProvider(nil).SubjectPatterns
	if len(pats) != 3 {
		t.Fatalf("AuthzProvider of an unvalidated provider: %d patterns, want 3", len(pats))
	}
	for _, sub := range []string{"alice", "bad(", "bad", "malice", "", "carol-x", "dave"} {
		want := sub == "alice"
		matches := func(re *regexp.Regexp) bool { return re.MatchString(sub) }
		got := slices.ContainsFunc(pats, matches)
		if got != want {
			t.Errorf("unvalidated allowed_subjects match %q = %v, want %v", sub, got, want)
		}
	}
}

func TestAllowedSubjectsMatchWhole(t *testing.T) {
	tests := []struct {
		name        string
		givePattern string
		giveSubject string
		want        bool
	}{
		{"alternative left", "alice|bob", "alice", true},
		{"alternative right", "alice|bob", "bob", true},
		{"suffix after alternative", "alice|bob", "alice-evil", false},
		{"prefix before alternative", "alice|bob", "evil-bob", false},
		{"group", "(alice)|(bob)", "alice-evil", false},
		{"flags stay inside", "(?i)svc-[a-z]+", "SVC-a", true},
		{"flags do not free the end", "(?i)svc-[a-z]+", "svc-a b", false},
		{"quoted text", `\Qa.b\E`, "a.b", true},
		{"quoted text is literal", `\Qa.b\E`, "axb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(provider("allowed_subjects: ['" + tt.givePattern + "']")))
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", tt.givePattern, err)
			}
			re := cfg.Providers[0].AuthzProvider(nil).SubjectPatterns[0]
			if got := re.MatchString(tt.giveSubject); got != tt.want {
				t.Errorf("allowed_subjects %q match %q = %v, want %v",
					tt.givePattern, tt.giveSubject, got, tt.want)
			}
		})
	}
}
