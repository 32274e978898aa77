package process

import (
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
)

// Kube builds the Kubernetes clients of one kubeconfig, each from a fresh
// rest.Config with the rate and timeout set here: the one way every verb
// reaches an API server.
type Kube struct {
	// QPS and Burst are client-go's rate limit; 0 keeps its default.
	QPS   float32
	Burst int
	// Timeout bounds each request; 0 is none.
	Timeout time.Duration
	what    string // names the kubeconfig in errors
	load    func() (*rest.Config, error)
}

// KubeconfigError is a kubeconfig that cannot be used: a configuration
// error (exit 2), named by what it was asked for.
type KubeconfigError struct {
	What string // "kubeconfig", or "kubeconfig context NAME"
	Err  error
}

func (e *KubeconfigError) Error() string { return e.What + ": " + e.Err.Error() }
func (e *KubeconfigError) Unwrap() error { return e.Err }

// Kubeconfig is the kubeconfig of --kubeconfig: the file at path, or with
// none, in-cluster config or $KUBECONFIG (controller-runtime's GetConfig).
func Kubeconfig(path string) *Kube {
	return &Kube{what: "kubeconfig", load: func() (*rest.Config, error) {
		if path != "" {
			return clientcmd.BuildConfigFromFlags("", path)
		}
		return ctrl.GetConfig()
	}}
}

// Context is one context of a loaded kubeconfig, for a verb that reaches
// several clusters (`report`).
func Context(kubeconfig *clientcmdapi.Config, name string) *Kube {
	return &Kube{what: "kubeconfig context " + name, load: func() (*rest.Config, error) {
		return clientcmd.NewNonInteractiveClientConfig(*kubeconfig, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	}}
}

// Config is a fresh rest.Config of the kubeconfig, with k's rate and timeout.
func (k *Kube) Config() (*rest.Config, error) {
	rc, err := k.load()
	if err != nil {
		return nil, k.fail(err)
	}
	if k.QPS != 0 {
		rc.QPS = k.QPS
	}
	if k.Burst != 0 {
		rc.Burst = k.Burst
	}
	if k.Timeout != 0 {
		rc.Timeout = k.Timeout
	}
	return rc, nil
}

// Typed is the typed clientset.
func (k *Kube) Typed() (kubernetes.Interface, error) { return build(k, kubernetes.NewForConfig) }

// Dynamic is the dynamic client (the migrator's, the policies').
func (k *Kube) Dynamic() (dynamic.Interface, error) { return build(k, dynamic.NewForConfig) }

// Metadata is the metadata-only client (informers that keep no object).
func (k *Kube) Metadata() (metadata.Interface, error) { return build(k, metadata.NewForConfig) }

// build makes one client of k's config, naming the kubeconfig on failure.
func build[C any](k *Kube, newFor func(*rest.Config) (C, error)) (C, error) {
	var zero C
	rc, err := k.Config()
	if err != nil {
		return zero, err
	}
	c, err := newFor(rc)
	if err != nil {
		return zero, k.fail(err)
	}
	return c, nil
}

func (k *Kube) fail(err error) error {
	return &KubeconfigError{What: k.what, Err: err}
}
