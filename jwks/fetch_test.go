package jwks

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		give     string
		insecure bool
		wantOK   bool
	}{
		{"https://idp.example.com/keys", false, true},
		{"http://127.0.0.1:8080/keys", false, true},
		{"http://127.3.4.5/keys", false, true},
		{"http://[::1]:9000/keys", false, true},
		{"http://localhost/keys", false, true},
		{"http://LOCALHOST:1/keys", false, true},
		{"http://idp.example.com/keys", false, false},
		{"http://10.0.0.1/keys", false, false},
		{"http://localhost.evil.com/keys", false, false},
		{"http://idp.example.com/keys", true, true},
		{"ftp://idp.example.com/keys", true, false},
		{"file:///etc/passwd", true, false},
		{"https://user:pass@idp.example.com/keys", false, false},
		{"/relative", false, false},
		{"https:opaque", false, false},
	}
	for _, tt := range tests {
		_, err := parseURL(tt.give, tt.insecure)
		if (err == nil) != tt.wantOK {
			t.Errorf("parseURL(%q, insecure %v) = %v, want ok %v", tt.give, tt.insecure, err, tt.wantOK)
			continue
		}
		if err != nil && errorKind(err) != KindInsecureURL {
			t.Errorf("parseURL(%q): kind %s, want %s", tt.give, errorKind(err), KindInsecureURL)
		}
		if err != nil && strings.Contains(err.Error(), "pass@") {
			t.Errorf("parseURL(%q): error %q shows the password", tt.give, err)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // in the error; "" for success
	}{
		{"defaults", Config{Issuer: "https://idp.test"}, ""},
		{"no issuer", Config{}, "issuer is required"},
		{"http issuer", Config{Issuer: "http://idp.test"}, "loopback"},
		{"http issuer allowed", Config{Issuer: "http://idp.test", InsecureAllowHTTP: true}, ""},
		{"loopback issuer", Config{Issuer: "http://127.0.0.1:5556"}, ""},
		{"http jwks_uri", Config{Issuer: "https://idp.test", JWKSURI: "http://idp.test/k"}, "jwks_uri"},
		{"negative", Config{Issuer: "https://idp.test", MaxWait: -1}, "max_wait"},
		{"ttl order", Config{Issuer: "https://idp.test", MinCacheTTL: time.Hour,
			MaxCacheTTL: time.Minute}, "min_cache_ttl"},
		{"backoff order", Config{Issuer: "https://idp.test", BackoffInitial: time.Hour}, "backoff"},
		{"negative keys", Config{Issuer: "https://idp.test", MaxKeys: -1}, "max_keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New: %v, want an error about %s", err, tt.want)
			}
			if err == nil && c.Name() != tt.cfg.Issuer {
				t.Errorf("Name() = %q, want the issuer when no name is set", c.Name())
			}
		})
	}
	c, err := New(Config{Issuer: "https://idp.test"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.cfg
	if got.RefreshInterval != 10*time.Minute || got.MinRefreshInterval != 5*time.Second ||
		got.MaxWait != time.Second || got.FetchTimeout != 5*time.Second ||
		got.MaxStale != 24*time.Hour || got.MinCacheTTL != time.Minute ||
		got.MaxCacheTTL != 24*time.Hour || got.BackoffInitial != time.Second ||
		got.BackoffMax != 5*time.Minute || got.MaxResponseBytes != 1<<20 ||
		got.MaxKeys != 100 || got.MaxRedirects != 3 {
		t.Errorf("defaults not applied: %+v", got)
	}
}

// Redirects: within the limit and keeping the scheme they are followed;
// otherwise the fetch fails with kind redirect (or insecure_url for an
// http:// target the URL rules refuse).
func TestRedirects(t *testing.T) {
	k1, _, _ := threeKeys(t)
	redirect := func(to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) }
	}
	tests := []struct {
		name         string
		jwksURI      string
		maxRedirects int
		insecure     bool
		wantKind     string
	}{
		{"followed", "https://idp.test/r2", 0, false, ""},
		{"at the limit", "https://idp.test/r3", 3, false, ""},
		{"over the limit", "https://idp.test/r3", 2, false, KindRedirect},
		{"none allowed", "https://idp.test/r1", -1, false, KindRedirect},
		{"https to http", "https://idp.test/down", 0, true, KindRedirect},
		{"http to https", "http://idp.test/up", 0, true, KindRedirect},
		{"to another host over http", "http://127.0.0.1/away", 0, false, KindInsecureURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				idp := newFakeIdP(testIssuer, k1)
				idp.extra = map[string]http.HandlerFunc{
					"/r1": redirect("/keys"), "/r2": redirect("/r1"), "/r3": redirect("/r2"),
					"/down": redirect("http://idp.test/keys"),
					"/up":   redirect("https://idp.test/keys"),
					"/away": redirect("http://idp.test/keys"),
				}
				h := newHarness(t, idp, Config{JWKSURI: tt.jwksURI, MaxRedirects: tt.maxRedirects,
					InsecureAllowHTTP: tt.insecure})
				f := h.c.fetch
				_, err := f.get(context.Background(), tt.jwksURI, validators{})
				if got := kindOf(err); got != tt.wantKind {
					t.Errorf("get(%s) = %v (kind %q), want kind %q", tt.jwksURI, err, got, tt.wantKind)
				}
			})
		})
	}
}

func TestFetchKinds(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		wantKind string
	}{
		{"declared too large", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			w.Write(make([]byte, 100000))
		}, KindTooLarge},
		{"HTML without content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("\n  <html>"))
		}, KindContent},
		{"304 to an unconditional request", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotModified)
		}, KindStatus},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/x", http.StatusFound)
		}, KindRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFetcher(&Config{FetchTimeout: time.Second, MaxResponseBytes: 1000,
					MaxRedirects: 3, HTTPClient: &http.Client{Transport: memTransport{tt.handler}}})
				_, err := f.get(context.Background(), "https://idp.test/x", validators{})
				if got := kindOf(err); got != tt.wantKind {
					t.Errorf("get = %v (kind %q), want kind %q", err, got, tt.wantKind)
				}
			})
		})
	}
}

func TestFetcherKeepsCallersClient(t *testing.T) {
	called := false
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		called = true
		return nil
	}}
	f := newFetcher(&Config{HTTPClient: client, MaxRedirects: 1})
	if f.client == client || client.CheckRedirect == nil {
		t.Fatal("the caller's client was modified")
	}
	u, _ := url.Parse("https://idp.test/a")
	v, _ := url.Parse("http://idp.test/b")
	if err := f.client.CheckRedirect(&http.Request{URL: v}, []*http.Request{{URL: u}}); err == nil {
		t.Error("the cache's redirect policy is not installed")
	}
	if called {
		t.Error("the caller's redirect policy ran instead of the cache's")
	}
}
