package inventory

import (
	"context"
	"fmt"

	"k8s.io/client-go/tools/cache"

	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// prefillQueue bounds the references waiting for a check ahead of time; past
// it a reference is dropped (its pod's next admission asks, within budget).
const prefillQueue = 1024

// Prefill makes the informer check ahead of time, one reference at a time,
// whether the proxy serves the references of the pods it sees as they are
// added (the first list included): the reference each image is rewritten to,
// and each image already on the proxy. The next replica of a Deployment, the
// pod a Job or a DaemonSet makes again, then finds its verdict cached at
// admission (servedCheck). check is the webhook's own check of one
// reference (webhook.State.Prefill), so that this package stands on the
// config in force alone.
func (i *Inventory) Prefill(check func(ctx context.Context, ref string)) error {
	refs := make(chan string, prefillQueue)
	_, err := i.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		pod, ok := obj.(*cachedPod)
		if !ok {
			return
		}
		for _, ref := range proxyReferences(i.live.Current(), pod) {
			select {
			case refs <- ref:
			default: // full: dropped, asked at admission instead
			}
		}
	}})
	if err != nil {
		return fmt.Errorf("pod informer prefill handler: %w", err)
	}
	i.prefill = func(ctx context.Context) {
		for {
			select {
			case <-ctx.Done():
				return
			case ref := <-refs:
				check(ctx, ref)
			}
		}
	}
	return nil
}

// proxyReferences are the references pod pulls, or would pull, from the
// proxy under the config in force.
func proxyReferences(routing *liveconfig.Snapshot, pod *cachedPod) []string {
	cfg := routing.Config
	var out []string
	for _, c := range podspec.DecidePod(routing.Rewriter, &pod.Spec, podspec.OptedOut(pod.Labels, pod.Annotations), cfg.NamespaceExcluded(pod.Namespace)) {
		switch c.Outcome {
		case rewrite.OutcomeRewritten:
			out = append(out, c.Image)
		case rewrite.OutcomeAlreadyProxied:
			out = append(out, c.Old)
		}
	}
	return out
}
