package jwks

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// checkURL applies the URL rules to every URL the cache fetches, redirects
// included: https://, or http:// to a loopback host (127.0.0.0/8, ::1,
// localhost), or http:// anywhere when insecureHTTP is set. No user info,
// since credentials in a URL end up in logs.
func checkURL(u *url.URL, insecureHTTP bool) error {
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return kindErr(KindInsecureURL, fmt.Errorf("URL %q: want scheme://host/path", u.Redacted()))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if insecureHTTP || isLoopback(u.Hostname()) {
			return nil
		}
		return kindErr(KindInsecureURL,
			fmt.Errorf("URL %q: http:// is allowed only for loopback hosts", u.Redacted()))
	default:
		return kindErr(KindInsecureURL, fmt.Errorf("URL %q: scheme must be https", u.Redacted()))
	}
}

// CheckURL reports whether raw is a URL the cache may fetch: absolute,
// without user info, https://, or http:// to a loopback host unless
// insecureHTTP is set. The configuration checks provider URLs with it, so
// that they are refused at load time by the very rule the cache applies.
func CheckURL(raw string, insecureHTTP bool) error {
	_, err := parseURL(raw, insecureHTTP)
	return err
}

// parseURL parses raw and applies [checkURL].
func parseURL(raw string, insecureHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, kindErr(KindInsecureURL, fmt.Errorf("parsing URL: %w", err))
	}
	if err := checkURL(u, insecureHTTP); err != nil {
		return nil, err
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
