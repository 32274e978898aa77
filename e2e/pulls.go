package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/resolve"
)

// Pulled is one container image of an admitted pod, pulled as its node would.
type Pulled struct {
	Pod       string // namespace/name
	Container string
	Image     string // as the pod holds it
	Original  string // as it was written, from pullthrough's original-images annotation; "" if not recorded
	Digest    string // what it resolved to through the proxy
}

// PullPods pulls every image of every pod that names one of set's proxies, through
// that proxy with the logins of the pod's imagePullSecrets read from the API (what a
// kubelet does), and returns what each resolved to. Images on no proxy (excluded,
// private registries) are not pulled; the caller checks them as strings.
func PullPods(ctx context.Context, cs kubernetes.Interface, set *registry.Set, pods []corev1.Pod) ([]Pulled, error) {
	proxies := slices.Collect(maps.Values(set.Mirrors()))
	var out []Pulled
	for _, pod := range pods {
		names := make([]string, 0, len(pod.Spec.ImagePullSecrets))
		for _, ref := range pod.Spec.ImagePullSecrets {
			names = append(names, ref.Name)
		}
		creds, err := resolve.FromSecrets(ctx, cs, pod.Namespace, names)
		if err != nil {
			return nil, err
		}
		var pullErr error
		EachContainer(pod, func(name, image, original string) {
			host, _, _ := strings.Cut(image, "/")
			if pullErr != nil || !slices.Contains(proxies, host) {
				return
			}
			digest, err := set.Pull(ctx, image, creds)
			if err != nil {
				pullErr = fmt.Errorf("pod %s/%s container %s: %w", pod.Namespace, pod.Name, name, err)
				return
			}
			out = append(out, Pulled{Pod: pod.Namespace + "/" + pod.Name, Container: name, Image: image, Original: original, Digest: digest})
		})
		if pullErr != nil {
			return nil, pullErr
		}
	}
	return out, nil
}

// Load is what reached the upstreams for the same pulls made through the proxies and
// made directly.
type Load struct {
	Pulls   int             // images pulled each way
	Through registry.Counts // requests the upstreams received from the proxies
	Direct  registry.Counts // requests the upstreams received from direct pulls
}

// ManifestGETs returns the manifest GETs of each way: what Docker Hub's rate limit counts.
func (l Load) ManifestGETs() (through, direct int) {
	get := registry.Request{Method: "GET", Kind: registry.KindManifest}
	return l.Through[get], l.Direct[get]
}

// CompareLoad pulls every proxied image of pods through the proxies (PullPods), then
// the same images as originally written straight from the upstreams, and counts what
// reached the upstreams each time. Every pulled container must have its original
// recorded (pods rewritten on CREATE have).
func CompareLoad(ctx context.Context, cs kubernetes.Interface, set *registry.Set, pods []corev1.Pod) (Load, error) {
	before := set.Counts()
	pulled, err := PullPods(ctx, cs, set, pods)
	if err != nil {
		return Load{}, err
	}
	middle := set.Counts()
	for _, p := range pulled {
		if p.Original == "" {
			return Load{}, fmt.Errorf("pod %s container %s: no original image recorded", p.Pod, p.Container)
		}
		direct, err := set.UpstreamRef(p.Original)
		if err != nil {
			return Load{}, err
		}
		if _, err := set.Pull(ctx, direct, resolve.Credentials{}); err != nil {
			return Load{}, err
		}
	}
	return Load{Pulls: len(pulled), Through: middle.Sub(before), Direct: set.Counts().Sub(middle)}, nil
}
