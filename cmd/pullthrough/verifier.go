package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/certs"
	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/resolve"
	"github.com/pullthrough/pullthrough/resolve/ecr"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/verdicts"
)

// verifyFlags choose how --verify and `pullthrough verify` reach the proxy.
type verifyFlags struct {
	dockerConfig, caBundle string
	record                 string // NS/NAME of the shared verdict record, or ""
}

func (v *verifyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&v.dockerConfig, "docker-config", "", "docker config file with the proxy's login: auths, credHelpers and credsStore (docker-credential-NAME on PATH is run) (default: the config's imagePullSecrets, read in each namespace); either way an ECR registry is also reached with the process's AWS credentials")
	fs.StringVar(&v.caBundle, "ca-bundle", "", "PEM CA bundle the proxy's certificate chains to (default: the config's proxyHealth.caBundle)")
	fs.StringVar(&v.record, "verdict-record", "", "NS/NAME of the shared verdict record (a ConfigMap, e.g. pullthrough-system/"+verdicts.DefaultName+"): also write there which references the proxy served or refused, for the webhook that watches it (get, create and update on it)")
}

// recordingVerifier remembers what each check answered, for the shared
// verdict record.
type recordingVerifier struct {
	resolve.Verifier
	seen verdicts.Record
}

// Verify implements resolve.Verifier.
func (r *recordingVerifier) Verify(ctx context.Context, namespace, image string) resolve.Result {
	res := r.Verifier.Verify(ctx, namespace, image)
	r.seen.Note(image, res, time.Now())
	return res
}

// withRecord runs work with v, and then, with --verdict-record, writes what
// v's checks answered into the record; a record that cannot be written fails
// the command (exit 1) after work's own outcome.
func (f verifyFlags) withRecord(ctx context.Context, cs kubernetes.Interface, v resolve.Verifier, work func(resolve.Verifier) error) error {
	if f.record == "" {
		return work(v)
	}
	if _, err := f.recordAt(); err != nil {
		return err
	}
	rec := &recordingVerifier{Verifier: v, seen: verdicts.Record{}}
	return errors.Join(work(rec), f.writeRecord(ctx, cs, rec.seen))
}

// recordAt is --verdict-record's NS/NAME, checked before any work is done.
func (f verifyFlags) recordAt() (types.NamespacedName, error) {
	at, err := certs.ParseNamespacedName("verdict-record", f.record)
	if err != nil {
		return at, usageError{err}
	}
	return at, nil
}

// writeRecord merges seen into --verdict-record's record; without the flag
// it does nothing. verify, migrate --verify and warm all write through it.
func (f verifyFlags) writeRecord(ctx context.Context, cs kubernetes.Interface, seen verdicts.Record) error {
	if f.record == "" {
		return nil
	}
	at, err := f.recordAt()
	if err != nil {
		return err
	}
	return verdicts.Write(ctx, cs, at.Namespace, at.Name, seen)
}

// proxyVerifier checks images against the proxy with the credentials a pod of the
// namespace would have: the config's imagePullSecrets read there through the API,
// or one docker config file for every namespace.
type proxyVerifier struct {
	cs         kubernetes.Interface
	secrets    []string
	transport  http.RoundTripper
	fixed      *resolve.Checker            // from --docker-config; nil to read the secrets
	ecr        authn.Keychain              // after the secrets or the file: ECR tokens from AWS credentials
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
func newVerifier(ctx context.Context, cfg *config.Config, f verifyFlags, cs kubernetes.Interface, log io.Writer) (*proxyVerifier, error) {
	ca := f.caBundle
	if ca == "" && cfg.ProxyHealth != nil {
		ca = cfg.ProxyHealth.CABundle
	}
	hosts := make([]string, 0, len(cfg.Mirrors))
	for _, m := range cfg.Mirrors {
		host, _ := rewrite.SplitPrefix(m.Target)
		hosts = append(hosts, host)
	}
	transport, err := resolve.Transport(ca, hosts)
	if err != nil {
		return nil, usagef("--ca-bundle or proxyHealth.caBundle: %w", err)
	}
	v := &proxyVerifier{cs: cs, secrets: cfg.ImagePullSecrets, transport: transport, namespaces: map[string]namespaceChecker{},
		ecr: ecr.Keychain(ctx, log)}
	if f.dockerConfig != "" {
		keychain, err := resolve.DockerConfig(f.dockerConfig)
		if err != nil {
			return nil, usagef("--docker-config: %w", err)
		}
		v.fixed = resolve.NewChecker(transport, v.withECR(keychain))
	}
	return v, nil
}

// withECR lets an ECR registry that keychain has no login for be reached with the
// process's AWS credentials, as the kubelet's ECR credential provider reaches it on
// EKS nodes, where pods carry no pull secret for it.
func (v *proxyVerifier) withECR(keychain authn.Keychain) authn.Keychain {
	return authn.NewMultiKeychain(keychain, v.ecr)
}

// Verify implements resolve.Verifier. A namespace whose pull secrets cannot be read
// answers unauthorized for each image, with the reason: its pods could not log in either.
func (v *proxyVerifier) Verify(ctx context.Context, namespace, image string) resolve.Result {
	c, err := v.checker(ctx, namespace)
	if err != nil {
		return resolve.Result{Status: resolve.StatusUnauthorized, Err: err}
	}
	return c.Check(ctx, image)
}

// Fetch implements warm.Proxy: a manifest GET with the credentials Verify uses.
func (v *proxyVerifier) Fetch(ctx context.Context, namespace, image string) (string, resolve.Result) {
	c, err := v.checker(ctx, namespace)
	if err != nil {
		return "", resolve.Result{Status: resolve.StatusUnauthorized, Err: err}
	}
	return c.Fetch(ctx, image)
}

// checker is the Checker with namespace's credentials: the docker config file's,
// or the config's imagePullSecrets read there once.
func (v *proxyVerifier) checker(ctx context.Context, namespace string) (*resolve.Checker, error) {
	if v.fixed != nil {
		return v.fixed, nil
	}
	c, ok := v.namespaces[namespace]
	if !ok {
		creds, err := resolve.FromSecrets(ctx, v.cs, namespace, v.secrets)
		if c.err = err; err == nil {
			c.checker = resolve.NewChecker(v.transport, v.withECR(creds))
		}
		v.namespaces[namespace] = c
	}
	if c.err != nil {
		return nil, fmt.Errorf("reading the config's imagePullSecrets: %w", c.err)
	}
	return c.checker, nil
}
