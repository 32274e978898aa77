package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"

	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/resolve"
)

// verifyFlags choose how --verify and `pullthrough verify` reach the proxy.
type verifyFlags struct {
	dockerConfig, caBundle string
}

func (v *verifyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&v.dockerConfig, "docker-config", "", "docker config file with the proxy's login (default: the config's imagePullSecrets, read in each namespace)")
	fs.StringVar(&v.caBundle, "ca-bundle", "", "PEM CA bundle the proxy's certificate chains to (default: the config's proxyHealth.caBundle)")
}

// proxyVerifier checks images against the proxy with the credentials a pod of the
// namespace would have: the config's imagePullSecrets read there through the API,
// or one docker config file for every namespace.
type proxyVerifier struct {
	cs         kubernetes.Interface
	secrets    []string
	transport  http.RoundTripper
	fixed      *resolve.Checker            // from --docker-config; nil to read the secrets
	namespaces map[string]namespaceChecker // by namespace, once read
}

// namespaceChecker checks with a namespace's pull secrets, or says why they
// could not be read.
type namespaceChecker struct {
	checker *resolve.Checker
	err     error
}

// newVerifier builds the transport (TLS to every mirror target's host, the CA bundle)
// and the credentials' source. Errors are usage errors: they name a flag or file.
func newVerifier(cfg *config.Config, f verifyFlags, cs kubernetes.Interface) (*proxyVerifier, error) {
	ca := f.caBundle
	if ca == "" && cfg.ProxyHealth != nil {
		ca = cfg.ProxyHealth.CABundle
	}
	hosts := make([]string, 0, len(cfg.Mirrors))
	for _, m := range cfg.Mirrors {
		host, _, _ := strings.Cut(m.Target, "/")
		hosts = append(hosts, host)
	}
	transport, err := resolve.Transport(ca, hosts)
	if err != nil {
		return nil, usagef("--ca-bundle or proxyHealth.caBundle: %w", err)
	}
	v := &proxyVerifier{cs: cs, secrets: cfg.ImagePullSecrets, transport: transport, namespaces: map[string]namespaceChecker{}}
	if f.dockerConfig != "" {
		data, err := os.ReadFile(f.dockerConfig)
		if err != nil {
			return nil, usagef("--docker-config: %w", err)
		}
		creds := resolve.Credentials{}
		if err := creds.Add(f.dockerConfig, data); err != nil {
			return nil, usagef("--docker-config: %w", err)
		}
		v.fixed = resolve.NewChecker(transport, creds)
	}
	return v, nil
}

// Verify implements migrate.Verifier. A namespace whose pull secrets cannot be read
// answers unauthorized for each image, with the reason: its pods could not log in either.
func (v *proxyVerifier) Verify(ctx context.Context, namespace, image string) resolve.Result {
	if v.fixed != nil {
		return v.fixed.Check(ctx, image)
	}
	c, ok := v.namespaces[namespace]
	if !ok {
		creds, err := resolve.FromSecrets(ctx, v.cs, namespace, v.secrets)
		if c.err = err; err == nil {
			c.checker = resolve.NewChecker(v.transport, creds)
		}
		v.namespaces[namespace] = c
	}
	if c.err != nil {
		return resolve.Result{Status: resolve.StatusUnauthorized, Err: fmt.Errorf("reading the config's imagePullSecrets: %w", c.err)}
	}
	return c.checker.Check(ctx, image)
}
