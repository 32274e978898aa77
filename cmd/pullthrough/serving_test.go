package main

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestListenAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, addr, ip, want string
		wantErr              bool
	}{
		{"no IP: as given", ":8080", "", ":8080", false},
		// The chart's case: hostNetwork, where ":8080" is every address of the node.
		{"IPv4 pod IP", ":8080", "10.0.3.7", "10.0.3.7:8080", false},
		{"IPv6 pod IP gets brackets", ":8080", "fd00::7", "[fd00::7]:8080", false},
		// A host the user named is theirs: --bind-ip fills in only the blank.
		{"named host kept", "127.0.0.1:8080", "10.0.3.7", "127.0.0.1:8080", false},
		{"0.0.0.0 is a host too", "0.0.0.0:8080", "10.0.3.7", "0.0.0.0:8080", false},
		{"disabled stays disabled", "0", "10.0.3.7", "0", false},
		{"port alone", "8080", "10.0.3.7", "", true},
		{"unbracketed IPv6", "fd00::1:8080", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := listenAddress(tt.addr, tt.ip)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("listenAddress(%q, %q) = %q, %v; want %q, error %v", tt.addr, tt.ip, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestServingFlags parses the listeners of each long-running verb: one set
// of flags, one meaning, and a bad value is a usage error naming its flag.
func TestServingFlags(t *testing.T) {
	t.Parallel()
	const cfg = "--config=../../examples/config.yaml"
	parse := map[string]func([]string) (servingFlags, error){
		"webhook": func(args []string) (servingFlags, error) {
			f, err := parseWebhookFlags(append([]string{cfg}, args...), io.Discard)
			if err != nil {
				return servingFlags{}, err
			}
			return f.serving, nil
		},
		"policy": func(args []string) (servingFlags, error) {
			f, err := parsePolicyFlags(append([]string{cfg, "--apply", "--watch"}, args...), io.Discard)
			if err != nil {
				return servingFlags{}, err
			}
			return f.serving, nil
		},
		"nodeconfig": func(args []string) (servingFlags, error) {
			f, err := parseNodeconfigFlags(append([]string{cfg, "--watch", "--out=/tmp/x"}, args...), io.Discard)
			if err != nil {
				return servingFlags{}, err
			}
			return f.serving, nil
		},
	}
	tests := []struct {
		name    string
		verbs   []string
		args    []string
		want    servingFlags
		wantErr string
	}{
		{"defaults: every address, plain HTTP", []string{"webhook", "policy"}, nil,
			servingFlags{metricsAddr: ":8080", probeAddr: ":8081"}, ""},
		{"node agent: no probes", []string{"nodeconfig"}, nil, servingFlags{metricsAddr: ":8080"}, ""},
		{"hostNetwork: the pod IP", []string{"webhook", "policy"}, []string{"--bind-ip=10.0.3.7"},
			servingFlags{metricsAddr: "10.0.3.7:8080", probeAddr: "10.0.3.7:8081", bindIP: "10.0.3.7"}, ""},
		{"node agent on the pod IP", []string{"nodeconfig"}, []string{"--bind-ip=fd00::7", "--metrics-bind-address=:9090"},
			servingFlags{metricsAddr: "[fd00::7]:9090", bindIP: "fd00::7"}, ""},
		{"secure", []string{"webhook", "policy"}, []string{"--metrics-secure", "--health-probe-bind-address=:1"},
			servingFlags{metricsAddr: ":8080", probeAddr: ":1", metricsSecure: true}, ""},
		{"node agent secure", []string{"nodeconfig"}, []string{"--metrics-secure", "--metrics-bind-address=0"},
			servingFlags{metricsAddr: "0", metricsSecure: true}, ""},
		{"not an IP", []string{"webhook", "policy", "nodeconfig"}, []string{"--bind-ip=node-1"}, servingFlags{}, `--bind-ip: "node-1" is not an IP address`},
		{"empty pod IP", []string{"webhook"}, []string{"--bind-ip=$(POD_IP)"}, servingFlags{}, "--bind-ip"},
		{"bad metrics address", []string{"webhook", "policy", "nodeconfig"}, []string{"--metrics-bind-address=8080"}, servingFlags{}, "--metrics-bind-address"},
		{"bad probe address", []string{"webhook", "policy"}, []string{"--health-probe-bind-address=localhost"}, servingFlags{}, "--health-probe-bind-address"},
	}
	for _, tt := range tests {
		for _, verb := range tt.verbs {
			t.Run(verb+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				got, err := parse[verb](tt.args)
				if tt.wantErr != "" {
					var usage usageError
					if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.wantErr) {
						t.Errorf("error %v, want a usage error containing %q", err, tt.wantErr)
					}
					return
				}
				if err != nil || got != tt.want {
					t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
				}
			})
		}
	}
	// The node agent has no health probes, so no flag for them.
	if _, err := parse["nodeconfig"]([]string{"--health-probe-bind-address=:1"}); err == nil {
		t.Error("nodeconfig accepted --health-probe-bind-address")
	}
}
