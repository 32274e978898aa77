package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/verdicts"
)

// warmTags runs `pullthrough warm` against the real API server and proxies, on
// an image seeded for it alone (the proxy has never seen it): from manifests,
// the tag behind a digest reference is pulled through the proxy (the upstream
// counts the proxy's manifest requests) and the digest is then served; a
// reference with a digest and no tag is said to have none. From the cluster, a
// Deployment pinned to a digest the tag no longer points at fails, named, and
// `migrate --verify` points to warm for it. With --verdict-record, the shared
// record holds both verdicts afterwards.
func warmTags(t *testing.T, p *pullEnv) {
	ctx := t.Context()
	const image = "quay.io/acme/warm/app:1"
	digests, err := p.set.Seed(ctx, registry.Image{Ref: image})
	if err != nil {
		t.Fatal(err)
	}
	pinned, untagged := image+"@"+digests[image], "quay.io/acme/warm/app@"+digests[image]
	moved := image + "@sha256:" + strings.Repeat("0", 64) // a digest the tag points at no more
	proxied := p.set.Proxy("quay.io").Addr + "/acme/warm/app"
	bin := BuildBinary(t)
	run := func(args ...string) cliRun {
		t.Helper()
		r := runCLI(t, bin, append([]string{"warm", "--config", p.config}, args...)...)
		t.Logf("pullthrough warm %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		return r
	}

	manifests := filepath.Join(t.TempDir(), "app.yaml")
	writeManifest(t, manifests, fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers: [{name: app, image: %q}]
`, pinned))
	upstream := p.set.Upstream("quay.io")
	before := upstream.CountsFrom("127.0.0.1")
	r := run("-f", manifests)
	pulled := upstream.CountsFrom("127.0.0.1").Sub(before)
	if r.code != 0 || !lineHas(r.stdout, proxied+":1@"+digests[image], "pulled", "served", "warmed") {
		t.Errorf("warm -f: exit %d, want 0 with the tag pulled and the digest served", r.code)
	}
	if pulled[registry.Request{Method: "GET", Kind: registry.KindManifest}] == 0 {
		t.Errorf("the quay.io upstream got no manifest GET from the proxy while warming: %v", pulled)
	}

	writeManifest(t, manifests, fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: debug}\nspec:\n  containers: [{name: dbg, image: %q}]\n", untagged))
	if r := run("-f", manifests, "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"tagStatus": "no-tag"`) || !strings.Contains(r.stdout, `"outcome": "served"`) {
		t.Errorf("warm -f of a digest without a tag: exit %d, want 0 with no-tag and the digest served", r.code)
	}

	p.namespace(t, "warm")
	cs := p.client(t, nil)
	createDeployment(t, cs, "warm", "pinned", pinned, 1)
	createDeployment(t, cs, "warm", "moved", moved, 1)
	r = run("-n", "warm", "--kubeconfig", p.cluster.KubeconfigPath(), "--verdict-record", "warm/"+verdicts.DefaultName)
	if r.code != 1 || !lineHas(r.stdout, "warm", "Deployment/pinned", "pulled", "served", "warmed") ||
		!lineHas(r.stdout, "warm", "Deployment/moved", "pulled", "not-found", "failed") {
		t.Errorf("warm -n warm: exit %d, want 1 with pinned warmed and moved failed", r.code)
	}
	// The shared verdict record holds what the webhook will ask about: the
	// warmed reference served, the moved one refused, and the tag served.
	cm, err := cs.CoreV1().ConfigMaps("warm").Get(ctx, verdicts.DefaultName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the verdict record after warm --verdict-record: %v", err)
	}
	record, err := verdicts.Decode("warm/"+verdicts.DefaultName, cm.Data[verdicts.Key])
	warmed, refused := record[proxied+":1@"+digests[image]], record[proxied+":1@sha256:"+strings.Repeat("0", 64)]
	if err != nil || !warmed.Served || warmed.Checked.IsZero() || refused.Served || refused.Checked.IsZero() || !record[proxied+":1"].Served {
		t.Errorf("verdict record after warm: %v (%v), want the pinned reference served, the moved one refused and the tag served", record, err)
	}
	if r := run("-n", "warm", "--verdict-record", "no-slash"); r.code != 2 {
		t.Errorf("warm --verdict-record no-slash: exit %d, want 2", r.code)
	}
	if !strings.Contains(r.stderr, "warm/"+proxied+":1@sha256:000") || !strings.Contains(r.stderr, "the tag now points at "+digests[image]) {
		t.Errorf("warm -n warm: stderr does not name the failed reference and why:\n%s", r.stderr)
	}
	verify := runCLI(t, bin, "migrate", "--verify", "--config", p.config, "--kubeconfig", p.cluster.KubeconfigPath(), "-n", "warm")
	if verify.code != 1 || !strings.Contains(verify.stdout, "`pullthrough warm`") || !strings.Contains(verify.stdout, "warm/"+proxied+":1@sha256:000") {
		t.Errorf("migrate --verify: exit %d, want 1 and a warning pointing to pullthrough warm for the moved digest:\n%s%s", verify.code, verify.stdout, verify.stderr)
	}
	if r := run("-f", manifests, "-n", "warm"); r.code != 2 {
		t.Errorf("warm with -f and -n: exit %d, want 2", r.code)
	}
}

// writeManifest writes a manifest file for the CLI.
func writeManifest(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
