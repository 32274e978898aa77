package main

import (
	"fmt"
	"io"

	"github.com/pullthrough/pullthrough/policy"
)

// runPolicy prints the admission policies that implement the config inside
// kube-apiserver. A config they cannot implement exactly is a configuration
// error (exit 2) that names the rule.
func runPolicy(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("policy", stderr)
	configPath := fs.String("config", "", "config file (YAML)")
	guard := fs.String("guard", string(policy.GuardOff), "final-state guard on enforce namespaces: off, warn (warn and audit-log pods whose images were not rewritten) or deny")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pullthrough policy --config FILE [--guard off|warn|deny] > policies.yaml")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %v", fs.Args())
	}
	switch g := policy.Guard(*guard); g {
	case policy.GuardOff, policy.GuardWarn, policy.GuardDeny:
	default:
		return usagef("--guard: %q is not off, warn or deny", *guard)
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	set, err := policy.Generate(cfg, policy.Options{Guard: policy.Guard(*guard)})
	if err != nil {
		return usagef("config %s: %w", *configPath, err)
	}
	out, err := set.YAML()
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}
