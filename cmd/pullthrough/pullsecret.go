package main

import (
	"context"
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

// pullSecrets wires --check-pull-secrets and --replicate-pull-secret: the
// Index of the Secrets' names (the replica is ready once each is listed),
// the check in state, and the replicator. Neither asked: nothing, and no
// API server is needed.
func pullSecrets(f webhookFlags, state *webhook.State, ready map[string]healthz.Checker, log logr.Logger) ([]manager.Runnable, error) {
	if !f.checkPullSecrets && f.replicate == "" {
		return nil, nil
	}
	rc, err := restConfig(f.kubeconfig)
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
	if f.checkPullSecrets {
		watched = slices.Clone(names)
	}
	if f.replicate != "" && !slices.Contains(names, f.replicate) {
		log.Info("WARNING: --replicate-pull-secret names a Secret that the config's imagePullSecrets do not: the copies are not added to pods",
			"name", f.replicate, "imagePullSecrets", names)
	}
	if f.replicate != "" && !slices.Contains(watched, f.replicate) {
		watched = append(watched, f.replicate)
	}
	index, err := pullsecret.NewIndex(meta, ctrlmetrics.Registry, log.WithName("pull-secrets"), watched...)
	if err != nil {
		return nil, err
	}
	ready["pull-secrets"] = index.Ready
	runnables := []manager.Runnable{index}
	if f.checkPullSecrets {
		state.CheckPullSecrets(index)
	}
	if f.replicate == "" {
		return runnables, nil
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, usageError{fmt.Errorf("kubeconfig: %w", err)}
	}
	opts := pullsecret.Options{Name: f.replicate, Source: f.replicateFrom}
	if f.owner != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if opts.Owner, err = clusterRoleOwner(cs, f.owner)(ctx); err != nil {
			return nil, err
		}
	}
	r, err := pullsecret.NewReplicator(opts, cs, index, state, ctrlmetrics.Registry, log.WithName("pull-secret-replicator"))
	if err != nil {
		return nil, err
	}
	return append(runnables, r), nil
}
