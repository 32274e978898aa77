package main

import (
	"context"
	"fmt"

	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/internal/namespaces"
	"github.com/pullthrough/pullthrough/internal/process"
	"github.com/pullthrough/pullthrough/inventory"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/pullfailures"
)

// watchConfig registers the reloads' series and adds the watcher of live's
// file to p: the webhook and `policy --watch` reload alike.
func watchConfig(p *process.Process, live *liveconfig.Live) error {
	m, err := liveconfig.NewMetrics(p.Registry)
	if err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	p.Add(liveconfig.NewWatcher(live, m, p.Log.WithName("config")))
	return nil
}

// informers adds the opt-in informers of the webhook and of `policy
// --watch` on cs: the pod-images gauge and the failed-pull counter. With
// prefill (the webhook's served check; nil for the policy engine, which
// follows no verdicts), the pods the gauge sees are checked ahead of time.
func informers(p *process.Process, cs kubernetes.Interface, podImages, pullFailures bool, live *liveconfig.Live, prefill func(context.Context, string)) error {
	if podImages {
		inv, err := inventory.New(cs, live, p.Registry, p.Log.WithName("inventory"))
		if err != nil {
			return err
		}
		if prefill != nil {
			if err := inv.Prefill(prefill); err != nil {
				return err
			}
		}
		p.Add(inv)
	}
	if pullFailures {
		w, err := pullfailures.New(cs, live, p.Registry, p.Log.WithName("pull-failures"))
		if err != nil {
			return err
		}
		p.Add(w)
	}
	return nil
}

// namespaceWatch is the namespace informer of kube that a config with a
// namespaceSelector routes by.
func namespaceWatch(kube *process.Kube) (*namespaces.Watch, error) {
	client, err := kube.Metadata()
	if err != nil {
		return nil, fmt.Errorf("the config selects namespaces by label, which needs the API server: %w", err)
	}
	return namespaces.NewWatch(client)
}
