package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// get returns the status code and body of GET path on the admin listener.
func (s *service) get(ctx context.Context, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.adminAddr+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), err
}

// waitReady polls /readyz until it answers 200, the process exits or
// timeout passes.
func (s *service) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := s.running(); err != nil {
			return err
		}
		if code, _, err := s.get(ctx, "/readyz"); err == nil && code == http.StatusOK {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("extauthz not ready within %s; log: %s", timeout, s.logPath)
		case <-tick.C:
		}
	}
}

// healthy checks that the process runs and /healthz answers 200.
func (s *service) healthy() error {
	if err := s.running(); err != nil {
		return err
	}
	code, _, err := s.get(context.Background(), "/healthz")
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("/healthz answered %d", code)
	}
	return nil
}

// refreshTotals scrapes extauthz_jwks_refresh_total by result.
func (s *service) refreshTotals() (map[string]float64, error) {
	code, body, err := s.get(context.Background(), "/metrics")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("/metrics answered %d", code)
	}
	return parseCounter(body, "extauthz_jwks_refresh_total", "result")
}

// parseCounter sums the samples of the counter metric in Prometheus text
// exposition by the value of label.
func parseCounter(text, metric, label string) (map[string]float64, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	out := make(map[string]float64)
	for _, m := range families[metric].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out[l.GetValue()] += m.GetCounter().GetValue()
			}
		}
	}
	return out, nil
}
