package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/extauthz/extauthz/authz"
	"github.com/extauthz/extauthz/config"
	"github.com/extauthz/extauthz/internal/listen"
	"github.com/extauthz/extauthz/jwks"
	"github.com/extauthz/extauthz/metrics"
)

// options are the hooks tests set; the zero value is production.
type options struct {
	grpcOptions []grpc.ServerOption
	// grpcLimits replaces defaultGRPCLimits when set.
	grpcLimits *grpcLimits
	// onDrain is called once shutdown has begun and the gRPC server is
	// draining.
	onDrain func()
}

// service is the wired process: listeners bound, nothing running yet.
type service struct {
	cfg    *config.Config
	log    *slog.Logger
	opts   options
	caches []*jwks.Cache
	ready  *readiness

	grpc           *grpc.Server
	http, admin    *http.Server
	grpcLn, httpLn net.Listener
	adminLn        net.Listener
	httpTLS        *tls.Config // nil for plain TCP

	// endStreams, called when shutdown begins, ends the gRPC streams other
	// than Check (health Watch, reflection) so that they cannot hold it.
	endStreams context.CancelFunc
}

// newService builds every part from cfg and binds the three listeners. A
// listener that cannot bind fails it with an error naming the key.
func newService(cfg *config.Config, logger *slog.Logger, opts options) (*service, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg, nil)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}

	hs := health.NewServer()
	s := &service{cfg: cfg, log: logger, opts: opts}
	s.ready = newReadiness(cfg.Providers, hs, logger)

	providers := make([]authz.Provider, 0, len(cfg.Providers))
	for _, p := range cfg.Providers {
		jc := cfg.JWKSConfig(p)
		jc.Logger = logger
		jc.Metrics = m
		jc.OnReadyChange = func(ok bool) { s.ready.set(p.Name, ok) }
		c, err := jwks.New(jc) // its errors name the provider
		if err != nil {
			return nil, err
		}
		s.caches = append(s.caches, c)
		providers = append(providers, p.AuthzProvider(c))
	}
	az, err := authz.New(authz.Config{
		Providers: providers, Limits: cfg.AuthzLimits(), Logger: logger, Metrics: m,
	})
	if err != nil {
		return nil, err // authz's errors say they are its own
	}

	limits := defaultGRPCLimits
	if opts.grpcLimits != nil {
		limits = *opts.grpcLimits
	}
	drain, endStreams := context.WithCancel(context.Background())
	s.endStreams = endStreams
	grpcOpts := append(limits.serverOptions(drain), opts.grpcOptions...)
	if cfg.TLS.Enabled() {
		r, err := listen.NewReloader(listen.Files{
			CertFile:     cfg.TLS.CertFile,
			KeyFile:      cfg.TLS.KeyFile,
			ClientCAFile: cfg.TLS.ClientCAFile,
		}, logger)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		grpcOpts = append(grpcOpts, grpc.Creds(credentials.NewTLS(r.ServerConfig("h2"))))
		s.httpTLS = r.ServerConfig("http/1.1")
	}
	s.grpc = grpc.NewServer(grpcOpts...)
	authv3.RegisterAuthorizationServer(s.grpc, az)
	healthpb.RegisterHealthServer(s.grpc, hs)
	reflection.Register(s.grpc)

	errorLog := slog.NewLogLogger(logger.Handler(), slog.LevelDebug)
	s.http = &http.Server{
		Handler:           az.HTTPHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog,
	}
	s.admin = &http.Server{
		Handler:           adminHandler(reg, s.ready),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          errorLog,
	}
	if err := s.bind(); err != nil {
		return nil, err
	}
	return s, nil
}

// bind opens the three listeners, or none of them.
func (s *service) bind() error {
	var err error
	for _, l := range []struct {
		key, addr string
		ln        *net.Listener
	}{
		{"listen.grpc", s.cfg.Listen.GRPC, &s.grpcLn},
		{"listen.http", s.cfg.Listen.HTTP, &s.httpLn},
		{"listen.admin", s.cfg.Listen.Admin, &s.adminLn},
	} {
		if *l.ln, err = net.Listen("tcp", l.addr); err != nil {
			s.closeListeners()
			return fmt.Errorf("%s: %w", l.key, err)
		}
	}
	if s.httpTLS != nil {
		s.httpLn = tls.NewListener(s.httpLn, s.httpTLS)
	}
	return nil
}

func (s *service) closeListeners() {
	for _, ln := range []net.Listener{s.grpcLn, s.httpLn, s.adminLn} {
		if ln != nil {
			ln.Close() // Closing an unused listener cannot lose data.
		}
	}
}

// run starts the key caches and the servers, and serves until ctx ends or a
// server fails; then it shuts everything down in order and returns the
// failure, if any.
func (s *service) run(ctx context.Context) error {
	// The caches outlive ctx: they keep serving keys to in-flight checks
	// while the servers drain, and stop only after the servers have.
	cacheCtx, stopCaches := context.WithCancel(context.Background())
	defer stopCaches()
	var caches sync.WaitGroup
	for _, c := range s.caches {
		caches.Go(func() { c.Run(cacheCtx) })
	}

	errc := make(chan error, 3)
	// Each Serve returns once shutdown below stops its server.
	go func() { errc <- s.grpc.Serve(s.grpcLn) }()
	go func() { errc <- s.http.Serve(s.httpLn) }()
	go func() { errc <- s.admin.Serve(s.adminLn) }()
	scheme := "http"
	if s.httpTLS != nil {
		scheme = "https"
	}
	s.log.Info("serving",
		"grpc", s.grpcLn.Addr().String(),
		"http", scheme+"://"+s.httpLn.Addr().String(),
		"admin", s.adminLn.Addr().String(),
		"tls", s.cfg.TLS.Enabled(), "mtls", s.cfg.TLS.ClientCAFile != "")

	var failure error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	case failure = <-errc:
		failure = fmt.Errorf("server stopped: %w", failure)
	}
	s.shutdown()
	stopCaches()
	caches.Wait()

	pending := 3
	if failure != nil {
		pending--
	}
	for range pending {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && failure == nil {
			failure = fmt.Errorf("server stopped: %w", err)
		}
	}
	s.log.Info("stopped")
	return failure
}

// streamGrace is how long after shutdown begins the health Watch and
// reflection streams are ended.
const streamGrace = time.Second

// shutdown reports NOT_SERVING, lets in-flight checks finish within the
// shutdown timeout (then cuts them off), and finally stops the admin
// listener, which stays up meanwhile so probes can see the drain.
func (s *service) shutdown() {
	s.ready.stop()
	// Health watchers get a moment to receive NOT_SERVING before their
	// streams end; the checks in flight are not ended by it.
	ends := time.AfterFunc(streamGrace, s.endStreams)
	defer ends.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout.D())
	defer cancel()

	var wg sync.WaitGroup
	wg.Go(func() {
		drained := make(chan struct{})
		// GracefulStop returns when every RPC has ended; Stop below makes
		// sure it does.
		go func() {
			s.grpc.GracefulStop()
			close(drained)
		}()
		if s.opts.onDrain != nil {
			s.opts.onDrain()
		}
		select {
		case <-drained:
		case <-ctx.Done():
			s.log.Warn("shutdown timeout: closing gRPC connections with checks in flight")
			s.grpc.Stop()
			<-drained
		}
	})
	wg.Go(func() {
		if err := s.http.Shutdown(ctx); err != nil {
			s.log.Warn("shutdown timeout: closing forward-auth connections", "error", err)
			s.http.Close() // The error would only repeat the one logged.
		}
	})
	wg.Wait()

	adminCtx, cancelAdmin := context.WithTimeout(context.Background(), time.Second)
	defer cancelAdmin()
	if err := s.admin.Shutdown(adminCtx); err != nil {
		s.admin.Close() // The error would only repeat the timeout.
	}
}
