// Command extauthz is an external-authorization service for Envoy's ext_authz
// filter and for HTTP forward-auth proxies: it validates the request's JWT
// bearer token against configured OpenID Connect providers.
//
// Usage:
//
//	extauthz serve --config FILE   run the service (also: extauthz --config FILE)
//	extauthz dev                   run it with a built-in development issuer
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/extauthz/extauthz/config"
)

const usage = `usage:
  extauthz serve --config FILE [--log-level LEVEL]   run the service
  extauthz --config FILE                             the same
  extauthz dev [flags]                               run with a development issuer
                                                     (flags: extauthz dev -h)
`

func main() {
	// The context ends on SIGTERM or SIGINT; that starts the graceful shutdown.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit status: 0 after a
// clean shutdown, 1 when the service cannot start or fails, 2 for bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveMain(ctx, rest, stderr)
	case "dev":
		return devMain(ctx, rest, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "extauthz: unknown command %q\n%s", cmd, usage)
	return 2
}

func serveMain(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\nflags of serve:\n", usage)
		fs.PrintDefaults()
	}
	file := fs.String("config", "", "configuration `file` (YAML)")
	level := fs.String("log-level", "", "log level, overriding log.level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "extauthz: serve needs --config FILE and no other arguments "+
			"(or try `extauthz dev`)\n%s", usage)
		return 2
	}
	cfg, err := config.Load(*file)
	if err == nil && *level != "" {
		if _, err = config.ParseLevel(*level); err != nil {
			err = fmt.Errorf("--log-level: %w", err)
		} else {
			cfg.Log.Level = *level
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "extauthz: %v\n", err)
		return 1
	}
	logger := newLogger(stderr, cfg)
	svc, err := newService(cfg, logger, options{})
	if err != nil {
		// Plain text, not a log record: the operator reads this one line.
		fmt.Fprintf(stderr, "extauthz: %v\n", err)
		return 1
	}
	return serve(ctx, svc, logger)
}

// serve runs svc until ctx ends and returns the exit status.
func serve(ctx context.Context, svc *service, logger *slog.Logger) int {
	if err := svc.run(ctx); err != nil {
		logger.Error("stopped after a failure", "error", err)
		return 1
	}
	return 0
}

// flagStatus is the exit status after a flag parsing error: 0 when help was
// asked for (the flag package has printed it), 2 otherwise.
func flagStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// newLogger returns the service's logger: JSON by default, text when the
// configuration says so.
func newLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel()}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
