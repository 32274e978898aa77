package main

import (
	"flag"
	"fmt"
	"net"
)

// servingFlags are the listeners every long-running verb shares (the
// webhook, `policy --apply --watch`, the node agent): /metrics, optionally
// authenticated, the health probes where the verb has them, and the one IP
// they all bind to. Bound by bindServingFlags, checked by resolve, served by
// process.Process (ServeMetrics, Probes): one way for every process.
type servingFlags struct {
	metricsAddr   string
	probeAddr     string // "" for a verb without health probes
	metricsSecure bool
	bindIP        string
}

// flagBindIP is the flag the chart sets to $(POD_IP) under hostNetwork.
const flagBindIP = "bind-ip"

// bindServingFlags binds s's flags to fs; when prefixes the help of a verb
// that serves only in one mode ("with --watch: "); ready says what /readyz
// waits for, "" for a verb without health probes.
func bindServingFlags(fs *flag.FlagSet, s *servingFlags, when, ready string) {
	fs.StringVar(&s.metricsAddr, "metrics-bind-address", ":8080", when+"address of /metrics; 0 disables")
	fs.BoolVar(&s.metricsSecure, "metrics-secure", false, when+"serve /metrics over HTTPS (a self-signed certificate made at start) to clients whose bearer token the API server authenticates (TokenReview) and authorizes for get on the non-resource URL /metrics (SubjectAccessReview); needs the API server and RBAC to create both reviews")
	fs.StringVar(&s.bindIP, flagBindIP, "", when+"listen on this IP only, for every address that names no host (the chart passes the pod IP under hostNetwork, where an empty host would mean every address of the node)")
	if ready != "" {
		fs.StringVar(&s.probeAddr, "health-probe-bind-address", ":8081", when+"address of /healthz and /readyz ("+ready+")")
	}
}

// resolve checks s and puts --bind-ip into the addresses that name no host.
// Errors are usage errors naming the flag.
func (s *servingFlags) resolve() error {
	if s.bindIP != "" && net.ParseIP(s.bindIP) == nil {
		return usagef("--%s: %q is not an IP address", flagBindIP, s.bindIP)
	}
	var err error
	if s.metricsAddr, err = listenAddress(s.metricsAddr, s.bindIP); err != nil {
		return usagef("--metrics-bind-address: %w", err)
	}
	if s.probeAddr == "" {
		return nil
	}
	if s.probeAddr, err = listenAddress(s.probeAddr, s.bindIP); err != nil {
		return usagef("--health-probe-bind-address: %w", err)
	}
	return nil
}

// listenAddress is addr (HOST:PORT, or "0": disabled) with ip as its host
// when it names none; a host it names is kept. An empty ip leaves addr as
// it is. IPv6 addresses get their brackets.
func listenAddress(addr, ip string) (string, error) {
	if addr == "0" {
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q is not HOST:PORT or 0: %w", addr, err)
	}
	if host != "" || ip == "" {
		return addr, nil
	}
	return net.JoinHostPort(ip, port), nil
}
