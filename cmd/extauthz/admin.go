package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/extauthz/extauthz/config"
)

// readiness tracks which providers hold usable keys, as their caches report
// through OnReadyChange, and mirrors the answer into the gRPC health service
// (for the whole server and for the Authorization service).
type readiness struct {
	health *health.Server
	log    *slog.Logger

	mu       sync.Mutex      // guards the fields below
	ready    map[string]bool // provider name -> has usable keys
	stopping bool
	all      bool          // every provider ready, last time it changed
	first    chan struct{} // closed the first time all becomes true
}

func newReadiness(providers []config.Provider, hs *health.Server, logger *slog.Logger) *readiness {
	r := &readiness{health: hs, log: logger, ready: map[string]bool{}, first: make(chan struct{})}
	for _, p := range providers {
		r.ready[p.Name] = false
	}
	r.publishLocked()
	return r
}

// set records provider's state. It is called from the caches' owner
// goroutines and must not block.
func (r *readiness) set(provider string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, known := r.ready[provider]; !known || r.stopping {
		return
	}
	r.ready[provider] = ok
	missing := r.notReadyLocked()
	all := len(missing) == 0
	if all == r.all {
		return
	}
	r.all = all
	if all {
		r.log.Info("ready: every provider has keys")
		select {
		case <-r.first:
		default:
			close(r.first)
		}
	} else {
		r.log.Warn("not ready", "providers", strings.Join(missing, ","))
	}
	r.publishLocked()
}

func (r *readiness) publishLocked() {
	status := healthpb.HealthCheckResponse_NOT_SERVING
	if r.all {
		status = healthpb.HealthCheckResponse_SERVING
	}
	r.health.SetServingStatus("", status)
	r.health.SetServingStatus(authv3.Authorization_ServiceDesc.ServiceName, status)
}

// stop marks the service as shutting down: not ready and not healthy, in
// gRPC health and on the admin endpoints, for good.
func (r *readiness) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopping, r.all = true, false
	r.health.Shutdown()
}

// state returns whether the service is ready, whether it is shutting down,
// and the providers without keys.
func (r *readiness) state() (ready, stopping bool, missing []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all, r.stopping, r.notReadyLocked()
}

func (r *readiness) notReadyLocked() []string {
	var names []string
	for name, ok := range r.ready {
		if !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// adminHandler serves GET /metrics, /healthz (200 until shutdown begins) and
// /readyz (200 only while every provider has usable keys).
func adminHandler(reg *prometheus.Registry, r *readiness) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if _, stopping, _ := r.state(); stopping {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ready, stopping, missing := r.state()
		switch {
		case stopping:
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		case !ready:
			msg := "no usable keys (none yet, or too stale) for: " + strings.Join(missing, ", ")
			http.Error(w, msg, http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ready")
		}
	})
	return mux
}
