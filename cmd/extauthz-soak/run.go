package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/extauthz/extauthz/internal/devidp"
)

// Bounds on the service's lifecycle.
const (
	readyTimeout = 20 * time.Second
	stopTimeout  = 10 * time.Second // shutdown_timeout is 3s
)

// run performs one soak. It returns the failures that make the run fail
// (wrong decisions, hangs, a crash, an unclean exit), or an error when the
// soak itself could not be set up.
func run(o options) (failures []string, err error) {
	dir, err := os.MkdirTemp("", "extauthz-soak-")
	if err != nil {
		return nil, fmt.Errorf("creating work directory: %w", err)
	}
	defer func() {
		if o.keep || err != nil || len(failures) > 0 {
			fmt.Fprintln(os.Stderr, "extauthz-soak: work directory kept:", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	if o.bin == "" {
		if o.bin, err = build(dir, o.race); err != nil {
			return nil, err
		}
	}

	anchor, err := devidp.NewSigner("anchor", "ES256")
	if err != nil {
		return nil, err
	}
	rotating := make([]*signer, keepRotating)
	for i, alg := range []string{"RS256", "ES256"}[:keepRotating] {
		if rotating[i], err = devidp.NewSigner(fmt.Sprintf("initial%d", i), alg); err != nil {
			return nil, err
		}
	}
	p, err := startIDP(anchor, rotating)
	if err != nil {
		return nil, err
	}
	defer p.Close() //nolint:errcheck // the run is over; a slow close changes no result
	toks, err := newTokens(p.url, anchor, o.duration+time.Hour)
	if err != nil {
		return nil, err
	}
	if err := toks.setRotating(rotating[len(rotating)-1]); err != nil {
		return nil, err
	}

	svc, err := startService(o.bin, dir, p.url)
	if err != nil {
		return nil, err
	}
	defer svc.cmd.Process.Kill() //nolint:errcheck // a no-op after a clean stop
	if err := svc.waitReady(readyTimeout); err != nil {
		return nil, err
	}
	return soak(o, p, toks, svc)
}

// soak drives the traffic and the provider's schedule, then checks and
// stops the service and prints the report.
func soak(o options, p *idp, toks *tokens, svc *service) ([]string, error) {
	conn, err := grpc.NewClient(svc.grpcAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", svc.grpcAddr, err)
	}
	defer conn.Close()

	start := time.Now()
	flapFrom := start.Add(o.duration / 3)
	l := &load{
		client: authv3.NewAuthorizationClient(conn), toks: toks, idp: p,
		workers: o.workers, rate: o.rate, deadline: o.deadline, flapFrom: flapFrom,
		maxCalls: int64(o.rate*o.duration.Seconds()) + 1,
	}
	var st stalls
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	watched := make(chan struct{})
	// watch returns when stopWatch is called, after the last check.
	go func() {
		st.watch(watchCtx)
		close(watched)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	flapDone := make(chan error, 1)
	// flap returns when ctx ends, at the latest with the traffic.
	go func() {
		flapDone <- flap(ctx, p, toks, start, plan(o.duration), func(st step) {
			fmt.Printf("%6.1fs  provider: %s\n", time.Since(start).Seconds(), st)
		})
	}()
	fmt.Printf("%6.1fs  steady phase, %d workers at %.0f checks/s\n", 0.0, o.workers, o.rate)
	t := l.run(ctx)
	cancel()
	stopWatch()
	<-watched
	t.settle(&st)
	if err := <-flapDone; err != nil {
		return nil, err
	}

	r := report{t: t, idpHits: p.counts(), lags: p.rotationLags(), elapsed: time.Since(start)}
	r.stalls, r.longest = st.total()
	failures := verdicts(t)
	if err := svc.healthy(); err != nil {
		failures = append(failures, "after the run: "+err.Error())
	} else if r.refresh, err = svc.refreshTotals(); err != nil {
		failures = append(failures, "scraping /metrics: "+err.Error())
	}
	if err := svc.stop(stopTimeout); err != nil {
		failures = append(failures, "on SIGTERM: "+err.Error())
	}
	r.print(os.Stdout)
	return failures, nil
}

// verdicts turns the tally's wrong decisions and hangs into failures.
func verdicts(t *tally) []string {
	var out []string
	if n := sum(t.wrong); n > 0 {
		out = append(out, fmt.Sprintf("%d wrong decisions", n))
	}
	if n := sum(t.hangs); n > 0 {
		out = append(out, fmt.Sprintf("%d hangs", n))
	}
	if t.unsent > 0 {
		out = append(out, fmt.Sprintf("%d checks not sent: the soak could not make their token",
			t.unsent))
	}
	if sum(t.sent) == 0 {
		out = append(out, "no checks were sent")
	}
	return append(out, t.examples...)
}

// build compiles ./cmd/extauthz into dir, with the race detector if race.
func build(dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "extauthz")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/extauthz")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("go build ./cmd/extauthz failed (run from the module root)")
		}
		return "", fmt.Errorf("go build ./cmd/extauthz: %w", err)
	}
	return bin, nil
}
