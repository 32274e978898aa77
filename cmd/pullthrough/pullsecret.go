package main

import (
	"context"
	"flag"
	"slices"
	"time"

	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/pullsecret"
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

// pullSecrets adds --check-pull-secrets and --replicate-pull-secret to p:
// the Index of the Secrets' names (the replica is ready once each is
// listed), returned for the webhook's check, and the replicator. Neither
// asked: nothing, and no API server is needed.
func pullSecrets(p *process.Process, f pullSecretFlags, live *liveconfig.Live) (*pullsecret.Index, error) {
	if !f.check && f.replicate == "" {
		return nil, nil
	}
	// One write per namespace at start: client-go's default of 5 per second
	// would take half an hour over 10,000 namespaces.
	kube := *p.Kube
	kube.QPS, kube.Burst = 20, 40
	meta, err := kube.Metadata()
	if err != nil {
		return nil, err
	}
	names := live.Config().ImagePullSecrets
	var watched []string
	if f.check {
		watched = slices.Clone(names)
	}
	if f.replicate != "" && !slices.Contains(names, f.replicate) {
		p.Log.Info("WARNING: --replicate-pull-secret names a Secret that the config's imagePullSecrets do not: the copies are not added to pods",
			"name", f.replicate, "imagePullSecrets", names)
	}
	if f.replicate != "" && !slices.Contains(watched, f.replicate) {
		watched = append(watched, f.replicate)
	}
	metrics, err := pullsecret.NewMetrics(p.Registry)
	if err != nil {
		return nil, err
	}
	index, err := pullsecret.NewIndex(meta, metrics, p.Log.WithName("pull-secrets"), watched...)
	if err != nil {
		return nil, err
	}
	p.Ready["pull-secrets"] = index.Ready
	p.Add(index)
	if f.replicate == "" {
		return index, nil
	}
	cs, err := kube.Typed()
	if err != nil {
		return nil, err
	}
	opts := pullsecret.Options{Name: f.replicate, Source: f.from}
	if f.ownerCR != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if opts.Owner, err = clusterRoleOwner(cs, f.ownerCR)(ctx); err != nil {
			return nil, err
		}
	}
	r, err := pullsecret.NewReplicator(opts, cs, index, live, p.Log.WithName("pull-secret-replicator"))
	if err != nil {
		return nil, err
	}
	p.Add(r)
	return index, nil
}
