package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// startTimeout bounds each control-plane process's start; envtest's 20 s default is
// tight on a 2-core CI machine running several test binaries at once.
const startTimeout = 60 * time.Second

// Options choose what a cluster runs beyond etcd and kube-apiserver.
type Options struct {
	// ControllerManager runs kube-controller-manager, for tests that need workload
	// controllers to turn Deployments, DaemonSets, Jobs... into Pods.
	ControllerManager bool

	// WebhookConfigs are installed once the API server is up, rewritten to call the
	// server at WebhookServing: each webhook's clientConfig.service (with a path) becomes
	// a URL on that host and port, and caBundle trusts the certificate in its directory.
	WebhookConfigs []*admissionregistrationv1.MutatingWebhookConfiguration

	// Node runs a node when set: containerd, the kubelet and kube-scheduler (and
	// kube-controller-manager, whose node lifecycle controller lifts the not-ready
	// taint), so that pods are scheduled, pulled and run.
	Node *NodeOptions

	// Audit turns kube-apiserver's audit log on with this policy (e.g.
	// AuditPodCreates); AuditEvents reads it. Keep it narrow: every request it
	// selects is written to a file as it is served.
	Audit *auditv1.Policy

	// Output receives the logs of every process the cluster runs; nil discards them.
	// It must accept concurrent writes (an *os.File does).
	Output io.Writer
}

// Cluster is a running control plane; Stop it when done.
type Cluster struct {
	env        *envtest.Environment
	client     client.Client
	dir        string // kubeconfig files and the controller manager's certificates
	kubeconfig string
	kcm        *Process
	node       *Node
	audited    bool // Options.Audit was set
}

// Start runs etcd and kube-apiserver, installs opts.WebhookConfigs and, if asked, runs
// kube-controller-manager; it returns when all of them serve. On error nothing is left
// running.
func Start(opts Options) (*Cluster, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pullthrough-e2e-")
	if err != nil {
		return nil, fmt.Errorf("creating the cluster's directory: %w", err)
	}
	c := &Cluster{dir: dir, audited: opts.Audit != nil}
	if c.env, err = newEnvironment(assets, dir, opts); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	if err := c.start(assets, opts); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	return c, nil
}

// newEnvironment configures envtest for our binaries and flags; the audit
// policy, if any, is written into dir.
func newEnvironment(assets, dir string, opts Options) (*envtest.Environment, error) {
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: startTimeout,
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			MutatingWebhooks: opts.WebhookConfigs,
		},
	}
	apiServer := env.ControlPlane.GetAPIServer()
	apiServer.Out, apiServer.Err = opts.Output, opts.Output
	// On by default; named so that a future default change cannot silently turn
	// the webhook under test off.
	apiServer.Configure().Set("enable-admission-plugins", "MutatingAdmissionWebhook,ValidatingAdmissionWebhook")
	env.ControlPlane.Etcd = &envtest.Etcd{Out: opts.Output, Err: opts.Output}
	if opts.Audit != nil {
		flags, err := auditFlags(dir, opts.Audit)
		if err != nil {
			return nil, err
		}
		for name, value := range flags {
			apiServer.Configure().Set(name, value)
		}
	}
	return env, nil
}

func (c *Cluster) start(assets string, opts Options) error {
	cfg, err := c.env.Start()
	if err != nil {
		return fmt.Errorf("starting etcd and kube-apiserver from %s: %w", assets, err)
	}
	if c.client, err = client.New(cfg, client.Options{}); err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
	if err := os.WriteFile(c.kubeconfig, c.env.KubeConfig, 0o600); err != nil {
		return fmt.Errorf("writing the admin kubeconfig: %w", err)
	}
	if opts.ControllerManager || opts.Node != nil {
		c.kcm, err = startControllerManager(filepath.Join(assets, "kube-controller-manager"), c.kubeconfig, c.dir, opts.Node != nil, opts.Output)
		if err != nil {
			return err
		}
	}
	if opts.Node == nil {
		return nil
	}
	c.node, err = startNode(context.Background(), c.client, assets, c.kubeconfig, c.dir, *opts.Node, opts.Output)
	return err
}

// Node returns the cluster's node, or nil when Options.Node was not set.
func (c *Cluster) Node() *Node { return c.node }

// Config returns an admin (system:masters) client configuration.
func (c *Cluster) Config() *rest.Config {
	return rest.CopyConfig(c.env.Config)
}

// KubeconfigPath returns an admin kubeconfig file, for kubectl and for commands under
// test that take --kubeconfig (pullthrough migrate). It is removed by Stop.
func (c *Cluster) KubeconfigPath() string {
	return c.kubeconfig
}

// WebhookServing tells where the API server calls the webhooks of Options.WebhookConfigs
// and which directory holds the serving certificate (tls.crt, tls.key) it trusts.
func (c *Cluster) WebhookServing() (host string, port int, certDir string) {
	w := c.env.WebhookInstallOptions
	return w.LocalServingHost, w.LocalServingPort, w.LocalServingCertDir
}

// Stop stops every process Start started, the node and the controller manager first so
// that they do not spin on a vanished API server, and removes their files.
func (c *Cluster) Stop() error {
	var errs []error
	if c.node != nil {
		errs = append(errs, c.node.stop())
		c.node = nil
	}
	if c.kcm != nil {
		errs = append(errs, c.kcm.Stop())
		c.kcm = nil
	}
	if err := c.env.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("stopping etcd and kube-apiserver: %w", err))
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("removing the cluster's directory: %w", err))
	}
	return errors.Join(errs...)
}
