package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/pullthrough/pullthrough/pullsecret"
	"github.com/pullthrough/pullthrough/webhook"
)

// pullSecretFlags are the webhook's --check-pull-secrets and the replicator's
// flags, which `pullthrough policy --watch` shares: the policy engine cannot
// check, and the replicator is what delivers the secret there.
type pullSecretFlags struct {
	check                    bool
	replicate, from, ownerCR string
}

// bindReplicatorFlags binds the replicator's flags.
func bindReplicatorFlags(fs *flag.FlagSet, f *pullSecretFlags) {
	fs.StringVar(&f.replicate, "replicate-pull-secret", "", "copy the Secret of this name from --pull-secret-namespace into every namespace whose pods are rewritten, and keep the copies equal to it (server-side apply; RBAC by resourceNames); name it in the config's imagePullSecrets")
	fs.StringVar(&f.from, "pull-secret-namespace", "", "namespace of the Secret --replicate-pull-secret copies (the release's)")
	fs.StringVar(&f.ownerCR, "pull-secret-owner-cluster-role", "", "with --replicate-pull-secret: make this ClusterRole the owner of every copy, so that deleting it (switching the replicator off, uninstalling) deletes them")
}

// validate refuses a replicator flag without the others it needs.
func (f pullSecretFlags) validate() error {
	switch {
	case (f.replicate == "") != (f.from == ""):
		return usagef("--replicate-pull-secret and --pull-secret-namespace go together")
	case f.ownerCR != "" && f.replicate == "":
		return usagef("--pull-secret-owner-cluster-role needs --replicate-pull-secret")
	}
	return nil
}

// pullSecrets wires --check-pull-secrets and --replicate-pull-secret: the
// Index of the Secrets' names (the replica is ready once each is listed),
// the check in state, and the replicator. Neither asked: nothing, and no
// API server is needed.
func pullSecrets(f pullSecretFlags, kubeconfig string, state *webhook.State, ready map[string]healthz.Checker, log logr.Logger) ([]manager.Runnable, error) {
	if !f.check && f.replicate == "" {
		return nil, nil
	}
	rc, err := restConfig(kubeconfig)
	if err != nil {
		return nil, usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	// One write per namespace at start: client-go's default of 5 per second
	// would take half an hour over 10,000 namespaces.
	rc.QPS, rc.Burst = 20, 40
	meta, err := metadata.NewForConfig(rc)
	if err != nil {
		return nil, usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	names := state.Routing().Config.ImagePullSecrets
	var watched []string
	if f.check {
		watched = slices.Clone(names)
	}
	if f.replicate != "" && !slices.Contains(names, f.replicate) {
		log.Info("WARNING: --replicate-pull-secret names a Secret that the config's imagePullSecrets do not: the copies are not added to pods",
			"name", f.replicate, "imagePullSecrets", names)
	}
	if f.replicate != "" && !slices.Contains(watched, f.replicate) {
		watched = append(watched, f.replicate)
	}
	metrics, err := pullsecret.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return nil, err
	}
	index, err := pullsecret.NewIndex(meta, metrics, log.WithName("pull-secrets"), watched...)
	if err != nil {
		return nil, err
	}
	ready["pull-secrets"] = index.Ready
	runnables := []manager.Runnable{index}
	if f.check {
		state.CheckPullSecrets(index)
	}
	if f.replicate == "" {
		return runnables, nil
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	opts := pullsecret.Options{Name: f.replicate, Source: f.from}
	if f.ownerCR != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if opts.Owner, err = clusterRoleOwner(cs, f.ownerCR)(ctx); err != nil {
			return nil, err
		}
	}
	r, err := pullsecret.NewReplicator(opts, cs, index, state, log.WithName("pull-secret-replicator"))
	if err != nil {
		return nil, err
	}
	return append(runnables, r), nil
}
