package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
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
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return resp.StatusCode, b.String(), sc.Err()
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
	return parseCounter(body, "extauthz_jwks_refresh_total", "result"), nil
}

// parseCounter sums the samples of metric in Prometheus text exposition by
// the value of label.
func parseCounter(text, metric, label string) map[string]float64 {
	out := make(map[string]float64)
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(line, metric+"{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		_, lv, ok := strings.Cut(labels, label+`="`)
		if !ok {
			continue
		}
		lv, _, _ = strings.Cut(lv, `"`)
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			out[lv] += v
		}
	}
	return out
}
