package authz

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	"github.com/extauthz/extauthz/metrics"
)

// Config configures a [Server].
type Config struct {
	Providers []Provider
	Limits    Limits
	Now       func() time.Time // nil: time.Now
	Logger    *slog.Logger     // nil: discard
	Metrics   *metrics.Metrics // nil: no metrics
}

// Server answers Envoy's Authorization/Check and HTTP forward-auth requests.
// It is safe for concurrent use; its configuration is fixed at [New].
type Server struct {
	authv3.UnimplementedAuthorizationServer

	providers map[string]*provider // by exact issuer
	limits    Limits
	now       func() time.Time
	log       *slog.Logger
	metrics   *metrics.Metrics
}

var _ authv3.AuthorizationServer = (*Server)(nil)

// New returns a Server for cfg. It fails when no provider is configured, a
// provider lacks an issuer, audiences or key source, two providers share an
// issuer, an algorithm is not supported (HMAC and "none" never are), or a
// duration is negative.
func New(cfg Config) (*Server, error) {
	providers, err := compileProviders(cfg.Providers)
	if err != nil {
		return nil, err
	}
	s := &Server{
		providers: providers,
		limits:    cfg.Limits.withDefaults(),
		now:       cfg.Now,
		log:       cfg.Logger,
		metrics:   cfg.Metrics,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Check implements envoy.service.auth.v3.Authorization/Check. Every decision,
// a denial included, is a CheckResponse with a nil error; see the package
// documentation for why. A nil or empty request is denied as having no token.
func (s *Server) Check(
	ctx context.Context,
	req *authv3.CheckRequest,
) (*authv3.CheckResponse, error) {
	v := s.judge(ctx, "grpc", authorizationValues(req))
	if v.reason != ReasonOK {
		return deniedResponse(v.reason), nil
	}
	return okResponse(v.id), nil
}

// HTTPHandler returns the forward-auth handler: on any path and method it
// reads only the Authorization header and answers 200 (with x-jwt-sub and
// x-jwt-iss response headers), 401, 403 or 503, with the same headers and
// bodies as Check's denials.
func (s *Server) HTTPHandler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// judge decides one request from its Authorization values and records the
// decision for listener; both listeners go through it.
func (s *Server) judge(ctx context.Context, listener string, authorization []string) verdict {
	start := s.now()
	v := s.decide(ctx, authorization, start)
	s.record(ctx, listener, v, start)
	return v
}

// decide judges the Authorization values of one request at now.
func (s *Server) decide(ctx context.Context, authorization []string, now time.Time) verdict {
	tok, r := bearerToken(authorization, s.limits.MaxTokenBytes)
	if r != ReasonOK {
		return verdict{reason: r}
	}
	return s.verify(ctx, tok, now)
}

// record counts a decision and logs a denial at debug level, with its reason
// and provider only: never the token or its claims.
func (s *Server) record(ctx context.Context, listener string, v verdict, start time.Time) {
	result := "allow"
	if v.reason != ReasonOK {
		result = "deny"
		s.log.LogAttrs(ctx, slog.LevelDebug, "request denied",
			slog.String("listener", listener),
			slog.String("reason", string(v.reason)),
			slog.String("provider", v.provider))
	}
	s.metrics.Decision(listener, result, string(v.reason), s.now().Sub(start))
}
