package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/extauthz/extauthz/config"
	"github.com/extauthz/extauthz/internal/devidp"
)

// devReadyWait bounds how long dev waits for the service to fetch the dev
// issuer's keys before it prints the commands anyway.
const devReadyWait = 15 * time.Second

// devMain runs the development issuer and the service on a built-in
// configuration that trusts it. The service discovers and fetches the
// issuer's keys over HTTP, exactly as in production.
func devMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	grpcAddr := fs.String("grpc", config.DefaultGRPCAddr, "gRPC ext_authz listen `address`")
	httpAddr := fs.String("http", config.DefaultHTTPAddr, "forward-auth listen `address`")
	adminAddr := fs.String("admin", config.DefaultAdminAddr, "admin listen `address`")
	issuerAddr := fs.String("issuer", "127.0.0.1:9400",
		"development issuer `address` (loopback only)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "extauthz: dev takes no arguments\n%s", usage)
		return 2
	}

	idp, err := devidp.New(*issuerAddr)
	if err != nil {
		fmt.Fprintf(stderr, "extauthz: dev issuer: %v\n", err)
		return 1
	}
	idpDone := make(chan error, 1)
	// Serve returns once Shutdown below is called.
	go func() { idpDone <- idp.Serve() }()
	defer func() {
		idp.Shutdown(context.Background()) // Serve's result, read below, says the rest.
		if err := <-idpDone; err != nil {
			fmt.Fprintf(stderr, "extauthz: dev issuer: %v\n", err)
		}
	}()

	cfg := &config.Config{
		Listen: config.Listen{GRPC: *grpcAddr, HTTP: *httpAddr, Admin: *adminAddr},
		Providers: []config.Provider{{
			Name:               "dev",
			Issuer:             idp.URL(),
			Audiences:          []string{devidp.DefaultAudience},
			RefreshInterval:    config.Duration(time.Minute),
			MinRefreshInterval: config.Duration(time.Second),
		}},
		Log: config.Log{Level: *level, Format: "text"},
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "extauthz: %v\n", err)
		return 1
	}
	logger := newLogger(stderr, cfg)
	svc, err := newService(cfg, logger, options{})
	if err != nil {
		fmt.Fprintf(stderr, "extauthz: %v\n", err)
		return 1
	}

	helpCtx, cancelHelp := context.WithCancel(ctx)
	printed := make(chan struct{})
	// This goroutine ends when the keys arrive, after devReadyWait, or when
	// the service stops (cancelHelp below).
	go func() {
		defer close(printed)
		select {
		case <-svc.ready.first:
		case <-time.After(devReadyWait):
			logger.Warn("the service has no keys from the dev issuer yet; the calls below " +
				"are denied with 503 until it does")
		case <-helpCtx.Done():
			return
		}
		printDevHelp(stdout, idp, svc)
	}()
	status := serve(ctx, svc, logger)
	cancelHelp()
	<-printed
	return status
}

// printDevHelp prints commands to paste: mint a token into $TOKEN, two
// allowed calls and two denied ones. It never prints a token itself.
func printDevHelp(w io.Writer, idp *devidp.Issuer, svc *service) {
	mint := idp.TokenURL() + "?" + url.Values{"sub": {"alice"}}.Encode()
	grpcAddr, httpAddr := svc.grpcLn.Addr().String(), svc.httpLn.Addr().String()
	// Single quotes keep the JSON literal; the token is spliced in with "$TOKEN".
	check := `'{"attributes":{"request":{"http":{"headers":` +
		`{"authorization":"Bearer '"$TOKEN"'"}}}}}'`
	fmt.Fprintf(w, `
extauthz dev is running. The development issuer at %[1]s mints test tokens
(audience %[2]q) and the service trusts it. Paste these into a shell:

# Mint a token (add &ttl=-1h for an expired one, &aud=other for a wrong audience,
# &alg=RS256 for an RSA signature instead of ES256; a bad one fails with HTTP 400):
TOKEN=$(curl -sSf '%[3]s')

# Allowed over gRPC, as Envoy's ext_authz asks (status {} and x-jwt-sub: alice):
grpcurl -plaintext -d %[4]s %[5]s envoy.service.auth.v3.Authorization/Check

# Allowed over HTTP forward-auth, as nginx auth_request asks (200, x-jwt-sub: alice):
curl -i -H "Authorization: Bearer $TOKEN" http://%[6]s/

# Denied: no token (401 with WWW-Authenticate: Bearer):
curl -i http://%[6]s/

# Denied over gRPC: no token (status code 16, UNAUTHENTICATED):
grpcurl -plaintext -d '{}' %[5]s envoy.service.auth.v3.Authorization/Check

Admin: http://%[7]s/metrics /healthz /readyz. Ctrl-C stops.
`, idp.URL(), devidp.DefaultAudience, mint, check, grpcAddr, httpAddr, svc.adminLn.Addr())
}
