// Package devidp is the development OpenID provider of `extauthz dev`. It
// generates signing keys at start, serves OIDC discovery and a JWKS over
// HTTP, and mints test tokens with chosen claims. It listens on loopback
// only and exists only for `extauthz dev`: its tokens prove nothing.
package devidp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Defaults of minted tokens.
const (
	DefaultAudience = "extauthz-dev"
	DefaultSubject  = "dev-user"
	DefaultTTL      = time.Hour
)

// Issuer is a running development issuer. Create it with [New], serve with
// [Issuer.Serve] and stop with [Issuer.Shutdown].
type Issuer struct {
	url  string
	keys []*signingKey // keys[0] signs unless a token asks for another alg
	now  func() time.Time
	ln   net.Listener
	srv  *http.Server
}

// New generates the signing keys (one ES256, one RS256) and listens on addr,
// which must be a loopback IP address and port ("127.0.0.1:9400"; port 0
// picks a free one). The issuer URL is http://ADDR with the bound port.
func New(addr string) (*Issuer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("devidp: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("devidp: %q is not a loopback IP address; "+
			"the development issuer serves only on loopback (for example 127.0.0.1)", host)
	}
	keys, err := generateKeys()
	if err != nil {
		return nil, fmt.Errorf("devidp: generating keys: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devidp: %w", err)
	}
	i := &Issuer{url: "http://" + ln.Addr().String(), keys: keys, now: time.Now, ln: ln}
	i.srv = &http.Server{Handler: i.Handler(), ReadHeaderTimeout: 10 * time.Second}
	return i, nil
}

// URL returns the issuer identifier, which is also the base of its endpoints.
func (i *Issuer) URL() string { return i.url }

// TokenURL returns the URL of the token-minting endpoint.
func (i *Issuer) TokenURL() string { return i.url + "/token" }

// Serve answers requests until Shutdown; it returns nil after Shutdown and
// any other error from the listener.
func (i *Issuer) Serve() error {
	if err := i.srv.Serve(i.ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("devidp: %w", err)
	}
	return nil
}

// Shutdown stops Serve, waiting for active requests until ctx ends.
func (i *Issuer) Shutdown(ctx context.Context) error {
	return i.srv.Shutdown(ctx)
}

// Handler returns the issuer's endpoints:
//
//	GET  /.well-known/openid-configuration  discovery
//	GET  /jwks                               public keys
//	GET  /token?sub=&aud=&alg=&ttl=          a signed token (text/plain)
//	POST /token                              the same, with form values or a JSON
//	                                         object of claims that replace the defaults
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /jwks", i.jwks)
	mux.HandleFunc("GET /token", i.token)
	mux.HandleFunc("POST /token", i.token)
	return mux
}
