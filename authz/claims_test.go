package authz

import (
	"regexp"
	"testing"
	"time"
)

func TestProviderConstraints(t *testing.T) {
	typed := func(typ any) func(*testing.T, *keyring) string {
		return func(t *testing.T, k *keyring) string {
			return sign(t, "ES256", map[string]any{"kid": "ec-256", "typ": typ}, validClaims(nil), k.p256)
		}
	}
	requireType := func(c *Config) { c.Providers[0].RequiredType = "at+jwt" }
	maxLifetime := func(c *Config) { c.Providers[0].MaxLifetime = 10 * time.Minute }
	requireClaims := func(c *Config) { c.Providers[0].RequiredClaims = []string{"jti", "client_id"} }
	subjects := func(c *Config) {
		c.Providers[0].SubjectPatterns = []*regexp.Regexp{
			regexp.MustCompile(`alice|bob`), regexp.MustCompile(`svc-[a-z]+`),
		}
	}
	cases := []decisionCase{
		{name: "typ at+jwt", giveToken: typed("at+jwt"), giveConfig: requireType, wantReason: ReasonOK},
		{name: "typ application/AT+JWT", giveToken: typed("application/AT+JWT"),
			giveConfig: requireType, wantReason: ReasonOK},
		{name: "typ JWT (an ID token)", giveToken: typed("JWT"), giveConfig: requireType,
			wantReason: ReasonWrongType},
		{name: "typ missing", giveToken: typed(nil), giveConfig: requireType,
			wantReason: ReasonWrongType},
		{name: "typ not required", giveToken: typed("JWT"), wantReason: ReasonOK},
		{name: "typ not a string", giveToken: typed(7), wantReason: ReasonMalformedToken},

		{name: "lifetime within bound", giveToken: withClaims(nil), giveConfig: maxLifetime,
			wantReason: ReasonOK},
		{name: "lifetime too long",
			giveToken:  withClaims(map[string]any{"exp": testNow.Add(time.Hour).Unix()}),
			giveConfig: maxLifetime, wantReason: ReasonLifetimeTooLong},
		{name: "lifetime bound without iat", giveToken: withClaims(map[string]any{"iat": nil}),
			giveConfig: maxLifetime, wantReason: ReasonMissingClaim},
		{name: "exp before iat",
			giveToken: withClaims(map[string]any{
				"iat": testNow.Add(25 * time.Second).Unix(), "exp": testNow.Add(10 * time.Second).Unix()}),
			giveConfig: maxLifetime, wantReason: ReasonBadClaim},

		{name: "required claims present",
			giveToken:  withClaims(map[string]any{"jti": "1", "client_id": "c"}),
			giveConfig: requireClaims, wantReason: ReasonOK},
		{name: "required claim missing", giveToken: withClaims(map[string]any{"jti": "1"}),
			giveConfig: requireClaims, wantReason: ReasonMissingClaim},
		{name: "required claim null",
			giveToken:  signNull("client_id"),
			giveConfig: requireClaims, wantReason: ReasonMissingClaim},

		{name: "subject allowed", giveToken: withClaims(nil), giveConfig: subjects,
			wantReason: ReasonOK},
		{name: "subject by second pattern", giveToken: withClaims(map[string]any{"sub": "svc-orders"}),
			giveConfig: subjects, wantReason: ReasonOK},
		{name: "subject matches only a prefix", giveToken: withClaims(map[string]any{"sub": "alice2"}),
			giveConfig: subjects, wantReason: ReasonSubjectNotAllowed},
		{name: "subject matches only a suffix", giveToken: withClaims(map[string]any{"sub": "xbob"}),
			giveConfig: subjects, wantReason: ReasonSubjectNotAllowed},
		{name: "subject missing", giveToken: withClaims(map[string]any{"sub": nil}),
			giveConfig: subjects, wantReason: ReasonMissingClaim},
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

// signNull returns a builder of a token whose claim name is JSON null, next
// to a jti.
func signNull(name string) func(*testing.T, *keyring) string {
	return withClaims(map[string]any{"jti": "1", name: json0{}})
}

// json0 marshals as JSON null, which validClaims cannot express with nil.
type json0 struct{}

func (json0) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func TestNewRefusesBadConfig(t *testing.T) {
	good := func() Provider {
		return Provider{Name: "p", Issuer: testIssuer, Audiences: []string{testAudience},
			Keys: &fakeKeys{}}
	}
	for _, c := range []struct {
		name   string
		change func(*Config)
	}{
		{"no providers", func(c *Config) { c.Providers = nil }},
		{"empty issuer", func(c *Config) { c.Providers[0].Issuer = "" }},
		{"no audiences", func(c *Config) { c.Providers[0].Audiences = nil }},
		{"no key source", func(c *Config) { c.Providers[0].Keys = nil }},
		{"negative skew", func(c *Config) { c.Providers[0].ClockSkew = -time.Second }},
		{"negative lifetime", func(c *Config) { c.Providers[0].MaxLifetime = -time.Second }},
		{"duplicate issuer", func(c *Config) { c.Providers = append(c.Providers, good()) }},
	} {
		cfg := Config{Providers: []Provider{good()}}
		c.change(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%s) error = nil, want an error", c.name)
		}
	}
	if _, err := New(Config{Providers: []Provider{good()}}); err != nil {
		t.Errorf("New(good) error = %v, want nil", err)
	}
}
