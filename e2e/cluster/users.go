package cluster

import (
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// User is an identity with no permissions beyond what RBAC grants its name and groups,
// for tests that check what is denied (a webhook or migrator without its ClusterRole).
type User struct {
	// Config authenticates as the user with a client certificate.
	Config *rest.Config
	// KubeconfigPath is the same identity as a file, for commands under test; Stop removes it.
	KubeconfigPath string
}

// NewUser provisions a user named name in groups (system:authenticated is implied).
func (c *Cluster) NewUser(name string, groups ...string) (*User, error) {
	authed, err := c.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return nil, fmt.Errorf("provisioning user %q: %w", name, err)
	}
	kubeconfig, err := authed.KubeConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig for user %q: %w", name, err)
	}
	f, err := os.CreateTemp(c.dir, "kubeconfig-user-")
	if err != nil {
		return nil, fmt.Errorf("kubeconfig file for user %q: %w", name, err)
	}
	if _, err := f.Write(kubeconfig); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing kubeconfig for user %q: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing kubeconfig for user %q: %w", name, err)
	}
	return &User{Config: authed.Config(), KubeconfigPath: f.Name()}, nil
}
