package policy

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Configs the engines are compared under: the mirror sets of rewrite's own
// tests (paths, bare hosts, spellings with ports and upper case), with
// exclusion globs of every form and a public-registry list with wildcards.
var testConfigs = map[string]string{
	// Scoped mirrors (docs/tenants.md): decided in each of testNamespaces.
	"tenants": `
mirrors:
  - {source: docker.io, target: proxy.example.internal/dockerhub}
  - {source: docker.io/bitnami, target: proxy.example.internal/bitnami}
  - {source: docker.io, target: proxy.example.internal/team-a, namespaces: [team-a, "team-a-*"]}
  - {source: docker.io, target: proxy.example.internal/tenant-b, namespaceSelector: {matchLabels: {tenant: b, kubernetes.io/metadata.name: payments}}}
  - {source: docker.io, target: proxy.example.internal/regulated, namespaceSelector: {matchExpressions: [{key: regulated, operator: Exists}, {key: tier, operator: NotIn, values: [dev, test]}]}}
  - {source: ghcr.io, target: proxy.example.internal/ghcr-ab, namespaces: ["team-[ab]*"], namespaceSelector: {matchExpressions: [{key: tenant, operator: In, values: [a, b]}, {key: frozen, operator: DoesNotExist}]}}
  - {source: quay.io/acme, target: proxy.example.internal/acme, namespaceSelector: {}}
  - {source: quay.io, target: proxy.example.internal/quay}
  - {source: quay.io/acme/x, target: proxy.example.internal/acme-x, namespaces: ["?ault"]}
publicRegistries: {builtIn: false, add: [ghcr.io, docker.io]}
`,
	"paths": `
mirrors:
  - {source: docker.io, target: proxy.example.internal/dockerhub}
  - {source: docker.io/bitnami, target: proxy.example.internal/bitnami}
  - {source: docker.io/bit, target: proxy.example.internal/bit}
  - {source: ghcr.io, target: proxy.example.internal/ghcr}
  - {source: quay.io, target: proxy.example.internal/quay}
  - {source: registry.k8s.io, target: proxy.example.internal/k8s}
  - {source: gcr.io, target: proxy.example.internal/gcr}
  - {source: public.ecr.aws, target: proxy.example.internal:8443/ecr}
  - {source: registry.local:5000, target: proxy.example.internal/local}
exclude:
  images: ["docker.io/library/busybox*", "ghcr.io/acme/secret", "quay.io/skip/*", "docker.io/library/alpine:3.?", "ghcr.io/[a-c]*/x", "ghcr.io/[^/d]*/y:*", "Docker.IO/library/te\\st"]
  namespaces: [excluded, "team-[ab]*"]
imagePullSecrets: [proxy-pull]
publicRegistries: {add: ["*.azurecr.io", "registry.vendor.example:5000"]}
`,
	"bare-hosts": `
mirrors:
  - {source: docker.io/library/nginx, target: nginx-proxy.internal}
  - {source: ghcr.io/acme, target: acme.internal}
  - {source: quay.io, target: quay.internal}
`,
	"spellings": `
mirrors:
  - {source: Docker.IO, target: PROXY.example.internal:443/hub}
  - {source: index.docker.io/bitnami, target: proxy.example.internal:0443/bitnami}
  - {source: "[::1]:5000", target: proxy.example.internal/v6}
  - {source: ghcr.io:443, target: localhost:5000/ghcr}
publicRegistries: {builtIn: false, add: ["quay.io"]}
`,
}

// decider evaluates the policy's per-reference CEL and the Go engine side by side.
type decider struct {
	rw   *rewrite.Rewriter
	prog cel.Program
	// scoped: the config has scoped mirrors, decided in every testNamespaces.
	scoped bool
}

// testNamespace is a namespace a scoped config decides in: its name and
// labels (with kubernetes.io/metadata.name, as the API server sets it).
type testNamespace struct {
	name   string
	labels map[string]string
}

// testNamespaces select each scoped mirror of "tenants", several at once,
// and none.
var testNamespaces = []testNamespace{
	{"default", nil},
	{"team-a", nil},
	{"team-a-dev", map[string]string{"tenant": "b"}},
	{"payments", map[string]string{"tenant": "b"}},
	{"payments", map[string]string{"tenant": "b", "regulated": ""}},
	{"payments", map[string]string{"tenant": "c", "regulated": "", "tier": "prod"}},
	{"vault", map[string]string{"regulated": "yes", "tier": "dev"}},
	{"team-b1", map[string]string{"tenant": "a"}},
	{"team-b1", map[string]string{"tenant": "a", "frozen": ""}},
	{"team-c", map[string]string{"tenant": "a"}},
}

// object is the namespace as the policy's namespaceObject sees it.
func (n testNamespace) object() map[string]any {
	labels := map[string]any{"kubernetes.io/metadata.name": n.name}
	for k, v := range n.labels {
		labels[k] = v
	}
	return map[string]any{"metadata": map[string]any{"name": n.name, "labels": labels}}
}

// goLabels are the labels the Go engine selects by (namespaces.LabelsOf).
func (n testNamespace) goLabels() map[string]string {
	out := map[string]string{"kubernetes.io/metadata.name": n.name}
	for k, v := range n.labels {
		out[k] = v
	}
	return out
}

// newDeciders compiles every test config both ways.
func newDeciders(t testing.TB) map[string]decider {
	t.Helper()
	env := apiServerEnv(t, cel.Variable("image", cel.StringType), cel.Variable("namespaceObject", cel.DynType))
	out := map[string]decider{}
	for name, doc := range testConfigs {
		cfg, err := config.Parse([]byte(doc))
		if err != nil {
			t.Fatalf("config %s: %v", name, err)
		}
		rw, err := cfg.Rewriter()
		if err != nil {
			t.Fatalf("config %s: %v", name, err)
		}
		r, err := compileRules(cfg.Rules())
		if err != nil {
			t.Fatalf("config %s: %v", name, err)
		}
		out[name] = decider{rw: rw, prog: compileCEL(t, env, r.decision("image")), scoped: cfg.Scoped()}
	}
	return out
}

// check fails the test if the CEL decides image differently from the Go engine.
func (d decider) check(t testing.TB, config, image string) {
	t.Helper()
	if !d.scoped {
		d.checkIn(t, config, image, testNamespace{name: "default"})
		return
	}
	for _, ns := range testNamespaces {
		d.checkIn(t, config, image, ns)
	}
}

// checkIn compares the two engines on image in namespace ns.
func (d decider) checkIn(t testing.TB, config, image string, ns testNamespace) {
	t.Helper()
	val, _ := evalCEL(t, d.prog, map[string]any{"image": image, "namespaceObject": ns.object()})
	got, err := val.ConvertToNative(mapType)
	if err != nil {
		t.Fatalf("%s: %q: the decision is not a map of strings: %v", config, image, err)
	}
	res := d.rw.In(ns.name, ns.goLabels()).Rewrite(image)
	host := ""
	if res.Outcome != rewrite.OutcomeUnparseable {
		host = rewrite.RegistryOf(image)
	}
	want := map[string]string{"outcome": string(res.Outcome), "image": res.Image, "proposed": res.Proposed, "registry": res.Registry(), "host": host}
	for k, w := range want {
		if g := got.(map[string]string)[k]; g != w {
			t.Errorf("config %s, namespace %s %v, image %q: %s: CEL %q, Go engine %q (Go: %+v)", config, ns.name, ns.labels, image, k, g, w, res)
		}
	}
}

// corpus is every image the Go engine's own tests and fuzzing found worth
// keeping, plus the cases this package adds.
func corpus(t testing.TB) []string {
	t.Helper()
	images := []string{
		"nginx", "nginx:1.27", "nginx@sha256:" + strings.Repeat("a", 64), "nginx:1.27@sha256:" + strings.Repeat("0", 64),
		"docker.io/bitnami/redis:7", "docker.io/bitnamix/redis", "docker.io/bit/x", "registry-1.docker.io/x",
		"Docker.IO/nginx", "index.docker.io/nginx", "INDEX.docker.io:443/library/nginx", "registry.hub.docker.com/library/nginx:1",
		"ghcr.io/acme/app", "ghcr.io:443/acme/app:1", "ghcr.io:0443/acme/app", "ghcr.io:4430/acme/app", "GHCR.io/acme/app",
		"registry.local:5000/a/b:c", "registry.local:05000/a", "registry.local:0/a", "registry.local:000/a", "docker.io.evil.com/x",
		"proxy.example.internal/dockerhub/library/nginx", "PROXY.example.internal/dockerhub/library/nginx", "proxy.example.internal:443/ghcr/x",
		"", "a:b@c", "[::1]:5000/x", "[::1]/x", "[::1]:5000/x:1", "localhost/x", "localhost:5000/x", "localhost", "localhost:5000",
		"mcr.microsoft.com/dotnet/runtime:8.0", "EU.gcr.io:443/p/a", "europe-docker.pkg.dev/p/r/a:1", "x.azurecr.io/a", "azurecr.io/a",
		"registry.vendor.example:5000/a", "registry.vendor.example/a", "quay.io/skip/a", "quay.io/skip/a/b", "quay.io/calico/node:v3.28.0",
		"docker.io/library/busybox", "busybox:1.36", "busybox@sha256:" + strings.Repeat("b", 64), "alpine:3.9", "alpine:3.19",
		"ghcr.io/acme/secret", "ghcr.io/acme/secret:1", "ghcr.io/b/x", "ghcr.io/ab/x", "ghcr.io/e/y:1", "ghcr.io/d/y:1", "test", "tesst",
		"a_b.c/d", "A/b", "Foo/bar", "foo/Bar", "foo:5000", "foo:Bar", "a" + strings.Repeat("/b", 130), "a.io/" + strings.Repeat("b", 255),
		"a.io/" + strings.Repeat("b", 256), "gcr.io/" + strings.Repeat("b", 250), strings.Repeat("a", 64), strings.Repeat("a", 65),
		"nginx@sha512:" + strings.Repeat("c", 128), "nginx@sha384:" + strings.Repeat("c", 96), "nginx@sha256:" + strings.Repeat("A", 64),
		"nginx@SHA256:" + strings.Repeat("a", 64), "nginx@md5:" + strings.Repeat("a", 32), "nginx@sha256:" + strings.Repeat("a", 63),
		"nginx:" + strings.Repeat("t", 128), "nginx:" + strings.Repeat("t", 129), "nginx:-x", "nginx:_x", "ngi__nx", "ngi---nx", "ngi___nx",
		"ghcr.io/acme/app:1 ", " nginx", "nginx\n", "ghcr.io//x", "ghcr.io/x/", "ghcr.io", "ghcr.io:443", "quay.io/a/b:c:d", "quay.io/a@b",
		"é/x", "ghcr.io/é", "public.ecr.aws/a/b", "docker.io/library/nginx-proxy", "docker.io/library/nginx/x", "ghcr.io/acme",
		"ghcr.io/acmex/y", "quay.internal/x", "nginx-proxy.internal/x", "acme.internal", "acme.internal/x", "localhost:5000/ghcr/x",
	}
	for _, dir := range []string{"../rewrite/testdata/fuzz/FuzzRewrite", "testdata/fuzz/FuzzPolicy"} {
		entries, _ := os.ReadDir(dir) // a missing corpus is an empty one
		for _, e := range entries {
			images = append(images, readFuzzString(t, filepath.Join(dir, e.Name())))
		}
	}
	return images
}

// readFuzzString reads the one string of a Go fuzz corpus file.
func readFuzzString(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if arg, ok := strings.CutPrefix(sc.Text(), "string("); ok {
			s, err := strconv.Unquote(strings.TrimSuffix(arg, ")"))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return s
		}
	}
	t.Fatalf("%s: no string in the corpus file", path)
	return ""
}

// TestDecisionEqualsGoEngine compares both engines on the whole corpus
// under every test config: outcome, image, proposal, registry and host.
func TestDecisionEqualsGoEngine(t *testing.T) {
	t.Parallel()
	deciders := newDeciders(t)
	for _, image := range corpus(t) {
		for name, d := range deciders {
			d.check(t, name, image)
		}
	}
}

// FuzzPolicy holds the CEL to the Go engine on arbitrary input.
func FuzzPolicy(f *testing.F) {
	for _, s := range corpus(f) {
		f.Add(s)
	}
	deciders := newDeciders(f)
	f.Fuzz(func(t *testing.T, image string) {
		for name, d := range deciders {
			d.check(t, name, image)
		}
	})
}
