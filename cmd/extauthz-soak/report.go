package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/extauthz/extauthz/metrics"
)

// report is what a run prints.
type report struct {
	t       *tally
	idpHits map[hit]int
	refresh map[string]float64 // extauthz_jwks_refresh_total by result; nil if not scraped
	lags    []time.Duration    // per rotation, publication to first fetch; -1: never
	elapsed time.Duration
	stalls  int           // stalls of the soak process itself
	longest time.Duration // the longest of them
}

// print writes the report as tables.
func (r report) print(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "\nchecks sent in %s\n", r.elapsed.Round(time.Millisecond))
	fmt.Fprintln(w, "kind\tsent\tallowed\tdenied\tRPC errors\twrong\thangs\tstalled\t")
	t := r.t
	row := func(name string, sent, allowed, errs, wrong, hangs, stalled int) {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n",
			name, sent, allowed, sent-allowed-errs, errs, wrong, hangs, stalled)
	}
	for k := range numKinds {
		row(k.String(), t.sent[k], t.allowed[k], t.errs[k], t.wrong[k], t.hangs[k], t.stalled[k])
	}
	row("total", sum(t.sent), sum(t.allowed), sum(t.errs), sum(t.wrong), sum(t.hangs),
		sum(t.stalled))
	w.Flush()
	fmt.Fprintf(out, "stalled: missed the deadline while the soak process itself stalled, "+
		"not counted as hangs (stalls of %s or more: %d, longest %s)\n",
		stallThreshold, r.stalls, us(r.longest))
	fmt.Fprintf(out, "denials by reason: %s\n", counts(t.denials))

	fmt.Fprintln(out, "\nprovider fetches (hits counted by the fake IdP, by how it answered)")
	fmt.Fprint(w, "path\t")
	for m := range numModes {
		fmt.Fprintf(w, "%s\t", m)
	}
	fmt.Fprintln(w, "total\t")
	for _, path := range []string{"discovery", "jwks"} {
		fmt.Fprintf(w, "%s\t", path)
		n := 0
		for m := range numModes {
			fmt.Fprintf(w, "%d\t", r.idpHits[hit{path, m}])
			n += r.idpHits[hit{path, m}]
		}
		fmt.Fprintf(w, "%d\t\n", n)
	}
	w.Flush()
	fmt.Fprintln(out, "service extauthz_jwks_refresh_total:", r.refreshLine())
	fmt.Fprintln(out, "key rotations, publication to first fetch of the new key:", lagLine(r.lags))

	fmt.Fprintln(out, "\nlatency of valid checks (anchor and rotating keys)")
	fmt.Fprintln(w, "phase\tchecks\tp50\tp99\t")
	var p50, p99 [numPhases]time.Duration
	for ph := range numPhases {
		p50[ph], p99[ph] = percentile(t.latency[ph], 50), percentile(t.latency[ph], 99)
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t\n", ph, len(t.latency[ph]), us(p50[ph]), us(p99[ph]))
	}
	fmt.Fprintf(w, "flapping/steady\t\t%s\t%s\t\n",
		ratio(p50[phaseFlapping], p50[phaseSteady]), ratio(p99[phaseFlapping], p99[phaseSteady]))
	w.Flush()
	fmt.Fprintln(out)
}

// refreshLine formats the scraped refresh counter, known results first.
func (r report) refreshLine() string {
	if r.refresh == nil {
		return "not scraped"
	}
	known := []string{metrics.RefreshSuccess, metrics.RefreshNotModified,
		metrics.RefreshRateLimited, metrics.RefreshError}
	var parts []string
	for _, k := range known {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, r.refresh[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(r.refresh)) {
		if !slices.Contains(known, k) {
			parts = append(parts, fmt.Sprintf("%s %.0f", k, r.refresh[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// lagLine formats rotation lags.
func lagLine(lags []time.Duration) string {
	if len(lags) == 0 {
		return "none"
	}
	var parts []string
	for _, l := range lags {
		if l < 0 {
			parts = append(parts, "never")
			continue
		}
		parts = append(parts, us(l))
	}
	return strings.Join(parts, ", ")
}

// counts formats a count map sorted by key.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// us formats d in microseconds-rounded form.
func us(d time.Duration) string { return d.Round(time.Microsecond).String() }

// ratio formats a/b, or "-" when b is zero.
func ratio(a, b time.Duration) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", float64(a)/float64(b))
}
