package config

import (
	"strings"
	"testing"
)

// provider builds a one-provider file whose provider has the given extra
// lines (each already indented by four spaces).
func provider(extra ...string) string {
	s := "providers:\n  - name: main\n    issuer: https://idp.example.com\n    audiences: [api]\n"
	for _, e := range extra {
		s += "    " + e + "\n"
	}
	return s
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{"empty file", "", "config: providers: at least one provider is required"},
		{"no providers", "providers: []", "config: providers: at least one provider is required"},
		{"syntax", "providers: [", "config: yaml: line 1: did not find expected node content"},
		{"top level list", "- a", "config: top level: want a mapping of keys to values"},
		{"unknown top key", provider() + "extra: 1", "config: extra: unknown key"},
		{"unknown provider key", provider("audience: api"),
			"config: providers[0].audience: unknown key"},
		{"unknown listen key", "listen: {grcp: x}\n" + provider(),
			"config: listen.grcp: unknown key"},
		{"unknown limits key", "limits: {max_tokens: 1}\n" + provider(),
			"config: limits.max_tokens: unknown key"},
		{"unknown tls key", "tls: {cert: x}\n" + provider(), "config: tls.cert: unknown key"},
		{"unknown log key", "log: {lvl: x}\n" + provider(), "config: log.lvl: unknown key"},
		{"merge key", "base: &b {name: x}\n" + provider(), "config: base: unknown key"},
		{"alias", "providers:\n  - &p {name: a, issuer: https://a, audiences: [x]}\n  - *p\n",
			"config: providers[1]: YAML aliases are not supported"},
		{"two documents", provider() + "---\n" + provider(),
			"config: the file must hold exactly one YAML document"},
		{"complex key", "? [a, b]\n: 1\n", "config: top level: line 1: keys must be plain names"},
		{"providers not a list", "providers: {name: x}", "config: providers: want a list"},
		{"listen not a mapping", "listen: x\n" + provider(),
			"config: listen: want a mapping of keys to values"},
		{"audiences not a list", "providers:\n  - {name: a, issuer: https://a, audiences: x}",
			"config: providers[0].audiences: want a list"},
		{"limit not a number", "limits: {max_claims: lots}\n" + provider(),
			`config: limits.max_claims: want an integer, got "lots"`},
		{"limit a list", "limits: {max_claims: [1]}\n" + provider(),
			"config: limits.max_claims: want an integer"},
		{"bool not bool", provider("insecure_allow_http: perhaps"),
			`config: providers[0].insecure_allow_http: want true or false, got "perhaps"`},
		// YAML 1.1 booleans, which the decoder alone takes as true even quoted.
		{"bool yes", provider("insecure_allow_http: yes"),
			`config: providers[0].insecure_allow_http: want true or false, got "yes"`},
		{"bool on", provider("insecure_allow_http: on"),
			`config: providers[0].insecure_allow_http: want true or false, got "on"`},
		{"bool quoted y", provider("insecure_allow_http: 'y'"),
			`config: providers[0].insecure_allow_http: want true or false, got "y"`},
		{"bool quoted on", provider("insecure_allow_http: 'on'"),
			`config: providers[0].insecure_allow_http: want true or false, got "on"`},
		{"bool quoted true", provider("insecure_allow_http: 'true'"),
			`config: providers[0].insecure_allow_http: want true or false, got "true"`},
		{"bool capitalised", provider("insecure_allow_http: True"),
			`config: providers[0].insecure_allow_http: want true or false, got "True"`},
		{"bool tagged string", provider("insecure_allow_http: !!str true"),
			`config: providers[0].insecure_allow_http: want true or false, got "true"`},
		{"bool tagged yes", provider("insecure_allow_http: !!bool yes"),
			`config: providers[0].insecure_allow_http: want true or false, got "yes"`},
		// Floats, which the decoder alone truncates.
		{"limit 1.5", "limits: {max_claims: 1.5}\n" + provider(),
			`config: limits.max_claims: want an integer, got "1.5"`},
		{"limit 0.9", "limits: {max_claims: 0.9}\n" + provider(),
			`config: limits.max_claims: want an integer, got "0.9"`},
		{"limit exponent", "limits: {max_jwks_bytes: 1e6}\n" + provider(),
			`config: limits.max_jwks_bytes: want an integer, got "1e6"`},
		{"limit quoted", "limits: {max_redirects: '2'}\n" + provider(),
			`config: limits.max_redirects: want an integer, got "2"`},
		{"limit too big", "limits: {max_jwks_keys: 99999999999999999999}\n" + provider(),
			`config: limits.max_jwks_keys: want an integer, got "99999999999999999999"`},
		{"negative limit", "limits: {max_jwks_keys: -1}\n" + provider(),
			"config: limits.max_jwks_keys: must not be negative, got -1"},

		{"negative duration", provider("clock_skew: -1s"),
			`config: providers[0].clock_skew: negative duration "-1s"`},
		{"negative refresh", provider("refresh_interval: -10m"),
			`config: providers[0].refresh_interval: negative duration "-10m"`},
		{"bad duration", provider("max_wait: soon"),
			`config: providers[0].max_wait: invalid duration "soon" (want a value such as "60s" or "10m")`},
		{"duration without unit", provider("fetch_timeout: 5"),
			`config: providers[0].fetch_timeout: invalid duration "5" (want a value such as "60s" or "10m")`},
		{"duration a list", provider("max_stale: [1s]"),
			`config: providers[0].max_stale: want a duration such as "60s"`},
		{"negative shutdown", "shutdown_timeout: -1s\n" + provider(),
			`config: shutdown_timeout: negative duration "-1s"`},
		{"backoff order", provider("backoff_initial: 2m", "backoff_max: 1m"),
			"config: providers[0].backoff_initial: 2m0s is above backoff_max 1m0s"},
		{"negative backoff", provider("backoff_max: -1s"),
			`config: providers[0].backoff_max: negative duration "-1s"`},
		{"cache ttl order", provider("min_cache_ttl: 2h", "max_cache_ttl: 1h"),
			"config: providers[0].min_cache_ttl: 2h0m0s is above max_cache_ttl 1h0m0s"},
		{"min_cache_ttl above default max", provider("min_cache_ttl: 25h"),
			"config: providers[0].min_cache_ttl: 25h0m0s is above the default " +
				"max_cache_ttl 24h0m0s"},
		{"max_cache_ttl below default min", provider("max_cache_ttl: 30s"),
			"config: providers[0].max_cache_ttl: 30s is below the default min_cache_ttl 1m0s"},
		{"backoff_initial above default max", provider("backoff_initial: 10m"),
			"config: providers[0].backoff_initial: 10m0s is above the default backoff_max 5m0s"},

		// Each of these would make the service fetch keys many times a second.
		{"refresh_interval floor", provider("refresh_interval: 1ns"),
			"config: providers[0].refresh_interval: 1ns is below the floor of 1s"},
		{"min_refresh_interval floor", provider("min_refresh_interval: 10ms"),
			"config: providers[0].min_refresh_interval: 10ms is below the floor of 1s"},
		{"max_stale floor", provider("max_stale: 1ms"),
			"config: providers[0].max_stale: 1ms is below the floor of 1s"},
		{"min_cache_ttl floor", provider("min_cache_ttl: 1ns"),
			"config: providers[0].min_cache_ttl: 1ns is below the floor of 1s"},
		{"max_cache_ttl floor", provider("max_cache_ttl: 1ns"),
			"config: providers[0].max_cache_ttl: 1ns is below the floor of 1s"},
		{"backoff_initial floor", provider("backoff_initial: 999ms"),
			"config: providers[0].backoff_initial: 999ms is below the floor of 1s"},
		{"backoff_max floor", provider("backoff_max: 500ms"),
			"config: providers[0].backoff_max: 500ms is below the floor of 1s"},
		// Forward-auth requests have no deadline: these bound how long one may hang.
		{"max_wait ceiling", provider("max_wait: 1h"),
			"config: providers[0].max_wait: 1h0m0s is above the ceiling of 30s"},
		{"fetch_timeout ceiling", provider("fetch_timeout: 301s"),
			"config: providers[0].fetch_timeout: 5m1s is above the ceiling of 5m0s"},

		{"missing name", "providers:\n  - {issuer: https://a, audiences: [x]}",
			`config: providers[0].name: want 1-64 letters, digits, '.', '_' or '-', got ""`},
		{"bad name", "providers:\n  - {name: 'a b', issuer: https://a, audiences: [x]}",
			`config: providers[0].name: want 1-64 letters, digits, '.', '_' or '-', got "a b"`},
		{"missing issuer", "providers:\n  - {name: a, audiences: [x]}",
			"config: providers[0].issuer: required"},
		{"relative issuer", "providers:\n  - {name: a, issuer: idp.example.com, audiences: [x]}",
			`config: providers[0].issuer: URL "idp.example.com": want scheme://host/path`},
		{"issuer with query", "providers:\n  - {name: a, issuer: 'https://a/?x=1', audiences: [x]}",
			`config: providers[0].issuer: "https://a/?x=1" must not carry a query or a fragment`},
		{"issuer ftp", "providers:\n  - {name: a, issuer: 'ftp://a', audiences: [x]}",
			`config: providers[0].issuer: URL "ftp://a": scheme must be https`},
		{"http not loopback",
			"providers:\n  - {name: a, issuer: 'http://idp.example.com', audiences: [x]}",
			`config: providers[0].issuer: URL "http://idp.example.com": http:// is allowed only for ` +
				`loopback hosts (set insecure_allow_http to allow it)`},
		{"jwks_uri http", provider("jwks_uri: http://10.0.0.1/keys"),
			`config: providers[0].jwks_uri: URL "http://10.0.0.1/keys": http:// is allowed only for ` +
				`loopback hosts (set insecure_allow_http to allow it)`},
		{"bad jwks_uri", provider("jwks_uri: '::'"),
			`config: providers[0].jwks_uri: parsing URL: parse "::": missing protocol scheme`},
		{"no audiences", "providers:\n  - {name: a, issuer: https://a}",
			"config: providers[0].audiences: at least one audience is required"},
		{"empty audience", "providers:\n  - {name: a, issuer: https://a, audiences: ['']}",
			"config: providers[0].audiences[0]: empty value"},
		{"duplicate audience", "providers:\n  - {name: a, issuer: https://a, audiences: [x, x]}",
			`config: providers[0].audiences[1]: "x" is listed twice`},
		{"alg none", provider("algorithms: [RS256, none]"),
			`config: providers[0].algorithms[1]: "none" is not allowed: unsigned tokens are never accepted`},
		{"alg HS256", provider("algorithms: [HS256]"),
			`config: providers[0].algorithms[0]: "HS256" is not allowed: HMAC needs a shared secret`},
		{"alg unknown", provider("algorithms: [RS1024]"),
			`config: providers[0].algorithms[0]: unknown algorithm "RS1024" (known: ` +
				`RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)`},
		{"alg twice", provider("algorithms: [ES256, ES256]"),
			`config: providers[0].algorithms[1]: "ES256" is listed twice`},
		{"empty required claim", provider("required_claims: ['']"),
			"config: providers[0].required_claims[0]: empty value"},
		{"bad subject regexp", provider("allowed_subjects: ['user-(']"),
			`config: providers[0].allowed_subjects[0]: invalid regular expression "user-("`},
		// Valid only once wrapped in ^(?:…)$, where they would escape the anchors.
		{"subject escapes anchors", provider("allowed_subjects: [bob, 'alice)|(bob']"),
			`config: providers[0].allowed_subjects[1]: invalid regular expression "alice)|(bob"`},
		{"subject admits everyone", provider("allowed_subjects: ['admin)|(?:.*']"),
			`config: providers[0].allowed_subjects[0]: invalid regular expression "admin)|(?:.*"`},
		{"subject quote to end", provider(`allowed_subjects: ['\Qalice']`),
			`config: providers[0].allowed_subjects[0]: invalid regular expression "\\Qalice"`},
		{"duplicate name", provider() + "  - {name: main, issuer: https://b, audiences: [x]}\n",
			`config: providers[1].name: "main" is also the name of providers[0]`},
		{"duplicate issuer",
			provider() + "  - {name: b, issuer: https://idp.example.com, audiences: [x]}\n",
			`config: providers[1].issuer: "https://idp.example.com" is also the issuer of providers[0]`},

		{"bad listen address", "listen: {grpc: '9001'}\n" + provider(),
			`config: listen.grpc: want host:port, got "9001"`},
		{"listen twice", "listen: {grpc: '127.0.0.1:7000', http: '127.0.0.1:7000'}\n" + provider(),
			`config: listen.http: "127.0.0.1:7000" is also listen.grpc`},
		{"key without cert", "tls: {key_file: k}\n" + provider(),
			"config: tls.cert_file: required with tls.key_file"},
		{"cert without key", "tls: {cert_file: c}\n" + provider(),
			"config: tls.key_file: required with tls.cert_file"},
		{"ca without cert", "tls: {client_ca_file: ca}\n" + provider(),
			"config: tls.cert_file: required with tls.client_ca_file"},
		{"log level", "log: {level: loud}\n" + provider(),
			`config: log.level: want debug, info, warn or error, got "loud"`},
		{"log format", "log: {format: xml}\n" + provider(),
			`config: log.format: want json or text, got "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.give))
			if err == nil {
				t.Fatalf("Parse() = %+v, want error %q", cfg, tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("Parse() error = %q,\nwant %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Parse() error spans lines: %q", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{"zero skew", provider("clock_skew: 0")},
		{"one second floors", provider("refresh_interval: 1s", "min_refresh_interval: 1s",
			"min_cache_ttl: 1s", "max_cache_ttl: 1s", "max_wait: 1s", "max_stale: 1s",
			"backoff_initial: 1s", "backoff_max: 1s")},
		{"no floor on the others", provider("clock_skew: 1ns", "max_wait: 1ms",
			"fetch_timeout: 10ms", "max_token_lifetime: 1ns")},
		{"zero means default", provider("refresh_interval: 0", "min_refresh_interval: 0",
			"max_stale: 0", "min_cache_ttl: 0", "max_cache_ttl: 0", "backoff_initial: 0",
			"backoff_max: 0")},
		{"min_cache_ttl at default max", provider("min_cache_ttl: 24h")},
		{"max_cache_ttl at default min", provider("max_cache_ttl: 1m")},
		{"backoff_initial at default max", provider("backoff_initial: 5m")},
		{"backoff_max above default initial", provider("backoff_max: 1s")},
		{"bool false", provider("insecure_allow_http: false")},
		{"bool tagged", provider("insecure_allow_http: !!bool true")},
		{"bool null", provider("insecure_allow_http: ~")},
		{"integer forms", "limits: {max_claims: 0x20, max_jwks_keys: +5, max_redirects: 0}\n" +
			provider()},
		{"integer tagged", "limits: {max_claims: !!int '20'}\n" + provider()},
		{"subject alternatives", provider("allowed_subjects: ['alice|bob', '(?i)svc-[a-z]+']")},
		{"null value", provider("jwks_uri:")},
		{"loopback http",
			"providers:\n  - {name: a, issuer: 'http://127.0.0.1:8080', audiences: [x]}"},
		{"localhost http",
			"providers:\n  - {name: a, issuer: 'http://localhost:8080', audiences: [x]}"},
		{"ipv6 loopback http",
			"providers:\n  - {name: a, issuer: 'http://[::1]:8080', audiences: [x]}"},
		{"insecure http", provider("jwks_uri: http://10.0.0.1/keys", "insecure_allow_http: true")},
		{"port zero twice", "listen: {grpc: '127.0.0.1:0', http: '127.0.0.1:0', admin: '127.0.0.1:0'}\n" +
			provider()},
		{"every algorithm", provider("algorithms: [RS256, RS384, RS512, PS256, PS384, PS512, " +
			"ES256, ES384, ES512, EdDSA]")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.give)); err != nil {
				t.Errorf("Parse() error = %v, want nil", err)
			}
		})
	}
}
