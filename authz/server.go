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
type Server struct {
	authv3.UnimplementedAuthorizationServer
	cfg Config
}

var _ authv3.AuthorizationServer = (*Server)(nil)

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) { return &Server{cfg: cfg}, nil }

// Check implements envoy.service.auth.v3.Authorization/Check.
func (s *Server) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	return nil, nil
}

// HTTPHandler returns the forward-auth handler.
func (s *Server) HTTPHandler() http.Handler { return http.NotFoundHandler() }
