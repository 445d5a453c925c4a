package authz

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// provider is a validated [Provider] with its lists turned into sets.
type provider struct {
	Provider
	algorithms   map[string]bool
	audiences    map[string]bool
	subjects     []*regexp.Regexp // anchored versions of SubjectPatterns
	requiredType string           // normalized with mediaType
	issuerHeader string           // the x-jwt-iss value, "" if Issuer is not header-safe
}

// compileProviders validates ps and indexes them by issuer.
func compileProviders(ps []Provider) (map[string]*provider, error) {
	if len(ps) == 0 {
		return nil, errors.New("authz: no providers configured")
	}
	byIssuer := make(map[string]*provider, len(ps))
	for i := range ps {
		p, err := compileProvider(ps[i])
		if err != nil {
			return nil, fmt.Errorf("authz: provider %q: %w", ps[i].Name, err)
		}
		if _, dup := byIssuer[p.Issuer]; dup {
			return nil, fmt.Errorf("authz: provider %q: issuer %q configured twice",
				p.Name, p.Issuer)
		}
		byIssuer[p.Issuer] = p
	}
	return byIssuer, nil
}

func compileProvider(cfg Provider) (*provider, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("issuer is empty")
	case cfg.Keys == nil:
		return nil, errors.New("no key source")
	case len(cfg.Audiences) == 0:
		// Without an audience any token of the issuer, meant for any
		// service, would pass (RFC 8725 3.9).
		return nil, errors.New("no audiences")
	case cfg.ClockSkew < 0:
		return nil, fmt.Errorf("negative clock skew %v", cfg.ClockSkew)
	case cfg.MaxLifetime < 0:
		return nil, fmt.Errorf("negative max lifetime %v", cfg.MaxLifetime)
	}
	p := &provider{
		Provider:     cfg,
		algorithms:   make(map[string]bool),
		audiences:    make(map[string]bool),
		requiredType: mediaType(cfg.RequiredType),
		issuerHeader: headerSafe(cfg.Issuer),
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = DefaultAlgorithms
	}
	for _, a := range algs {
		if _, ok := algorithmKeys[a]; !ok {
			return nil, fmt.Errorf("unsupported algorithm %q", a)
		}
		p.algorithms[a] = true
	}
	for _, a := range cfg.Audiences {
		p.audiences[a] = true
	}
	for _, re := range cfg.SubjectPatterns {
		anchored, err := AnchorSubject(re.String())
		if err != nil {
			return nil, fmt.Errorf("subject pattern %q: %w", re.String(), err)
		}
		p.subjects = append(p.subjects, anchored)
	}
	return p, nil
}

// AnchorSubject compiles pattern (RE2) to match whole subjects only, so
// "alice" does not also admit "malice". The pattern must compile on its own
// first: one with unbalanced parentheses, such as "alice)|(bob", compiles
// once wrapped but then closes the group early and escapes the anchors
// ("^(?:alice)|(bob)$" admits "alice-evil"). A pattern valid alone is
// balanced, so the group holds all of it.
func AnchorSubject(pattern string) (*regexp.Regexp, error) {
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, err
	}
	return regexp.Compile(`^(?:` + pattern + `)$`)
}

// mediaType normalizes a typ value: RFC 7515 4.1.9 makes it a media type
// compared case-insensitively, whose "application/" prefix may be left out.
func mediaType(t string) string {
	// Parameters (";charset=…") and surrounding space do not change the type.
	t, _, _ = strings.Cut(t, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	return strings.TrimPrefix(t, "application/")
}
