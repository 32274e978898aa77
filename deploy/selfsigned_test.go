package deploy

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/pullthrough/pullthrough/certs"
	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// TestSelfSignedRBAC runs the self-signed certificate mode on a real API
// server as the webhook's ServiceAccount, with the options its Deployment
// passes and nothing but the RBAC the manifests grant: the Secret must be
// created and filled and both webhooks' caBundle set.
func TestSelfSignedRBAC(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	objs := load(t, manifestsFile)
	dep, user := installAsServiceAccount(t, c, objs)
	admin, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := selfSignedOptions(dep.Spec.Template.Spec.Containers[0].Args, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := ctrl.NewManager(user.Config, ctrl.Options{
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	ready, err := certs.SetupSelfSigned(t.Context(), mgr, opts)
	if err != nil {
		t.Fatalf("as the webhook's ServiceAccount: %v", err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(t.Context()) }()
	select {
	case <-ready:
	case err := <-stopped:
		// A denied list or watch shows as a cache that never syncs.
		t.Fatalf("the manager stopped (denied by RBAC?): %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("no certificate after 2 minutes (an update denied by RBAC?)")
	}
	secret := &corev1.Secret{}
	if err := admin.Get(t.Context(), client.ObjectKey{Namespace: opts.SecretNamespace, Name: opts.SecretName}, secret); err != nil {
		t.Fatal(err)
	}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := admin.Get(t.Context(), client.ObjectKey{Name: opts.WebhookConfigName}, mwc); err != nil {
		t.Fatal(err)
	}
	for _, w := range mwc.Webhooks {
		if len(w.ClientConfig.CABundle) == 0 || !bytes.Equal(w.ClientConfig.CABundle, secret.Data["ca.crt"]) {
			t.Errorf("%s: caBundle is not the CA in Secret %s", w.Name, secret.Name)
		}
	}
}

// selfSignedOptions reads the self-signed flags as `pullthrough webhook` does.
func selfSignedOptions(args []string, certDir string) (certs.SelfSignedOptions, error) {
	secret, err := certs.ParseNamespacedName(certs.FlagSecret, flag(args, certs.FlagSecret))
	if err != nil {
		return certs.SelfSignedOptions{}, err
	}
	service, err := certs.ParseNamespacedName(certs.FlagService, flag(args, certs.FlagService))
	if err != nil {
		return certs.SelfSignedOptions{}, err
	}
	opts := certs.SelfSignedOptions{
		SecretNamespace: secret.Namespace, SecretName: secret.Name,
		ServiceNamespace: service.Namespace, ServiceName: service.Name,
		WebhookConfigName: flag(args, certs.FlagWebhookConfig), CertDir: certDir,
	}
	return opts, opts.Validate()
}

// installAsServiceAccount creates every object of a rendered file as the
// cluster's admin and returns its Deployment and a user that is the
// Deployment's ServiceAccount, holding nothing but what the file grants it.
func installAsServiceAccount(t *testing.T, c *cluster.Cluster, objs []runtime.Object) (*appsv1.Deployment, *cluster.User) {
	t.Helper()
	install(t, c, objs)
	dep := only[*appsv1.Deployment](t, objs)
	return dep, serviceAccountUser(t, c, dep.Namespace, dep.Spec.Template.Spec.ServiceAccountName)
}

// install creates every object as the cluster's admin.
func install(t *testing.T, c *cluster.Cluster, objs []runtime.Object) {
	t.Helper()
	admin, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := admin.Create(t.Context(), o.(client.Object)); err != nil {
			t.Fatalf("the API server refuses %T: %v", o, err)
		}
	}
}

// serviceAccountUser is a user that authenticates as ServiceAccount ns/name
// (its username and groups, as its token would), so that it holds exactly
// what RBAC grants the ServiceAccount and matches what admission policies
// match on its username.
func serviceAccountUser(t *testing.T, c *cluster.Cluster, ns, name string) *cluster.User {
	t.Helper()
	user, err := c.NewUser(fmt.Sprintf("system:serviceaccount:%s:%s", ns, name), "system:serviceaccounts", "system:serviceaccounts:"+ns)
	if err != nil {
		t.Fatal(err)
	}
	return user
}
