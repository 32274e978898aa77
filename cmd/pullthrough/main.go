package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pullthrough/pullthrough/internal/process"
)

// Exit codes, the contract docs/architecture.md states.
const (
	exitOK     = 0
	exitFailed = 1 // the work failed: some object not patched, some image not parseable where that matters
	exitUsage  = 2 // usage or configuration error
)

// usageError marks an error that exits 2: a bad flag, argument or config.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef builds a usageError.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// command is one verb of the binary.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"rewrite":    {"show how images and manifests are rewritten", runRewrite},
	"webhook":    {"serve the mutating admission webhook", runWebhook},
	"migrate":    {"plan, apply or undo the move of existing workloads", runMigrate},
	"verify":     {"check that the proxy serves a namespace's images before enforce", runVerify},
	"selftest":   {"prove through the API server that new pods are rewritten", runSelftest},
	"nodeconfig": {"write containerd's registry host files (certs.d) from the mirrors", runNodeconfig},
	"policy":     {"print or apply the admission policies that rewrite inside kube-apiserver", runPolicy},
	"report":     {"list, per cluster, the pods' images that still pull direct and who owns them", runReport},
	"warm":       {"pull through the proxy the tags behind digest references, so that it serves the digests", runWarm},
	"version":    {"print the version", runVersion},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a verb and maps its error to an exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pullthrough: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	err := cmd.run(args[1:], stdout, stderr)
	var (
		u usageError
		k *process.KubeconfigError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &u), errors.As(err, &k): // a kubeconfig is configuration
		fmt.Fprintf(stderr, "pullthrough %s: %v\n", args[0], err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "pullthrough %s: %v\n", args[0], err)
		return exitFailed
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pullthrough COMMAND [flags]\n\ncommands:")
	for _, name := range []string{"rewrite", "webhook", "migrate", "verify", "selftest", "nodeconfig", "policy", "report", "warm", "version"} {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'pullthrough COMMAND -h' for a command's flags.")
}
