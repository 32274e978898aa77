package warm

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/migrate"
	"github.com/pullthrough/pullthrough/rewrite"
)

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func TestSelect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		found         []Found
		want          []Target
		withoutDigest int
	}{
		{
			// The case an ECR cache fails: repo:tag@digest; the tag is what warming pulls.
			name:  "tag and digest",
			found: []Found{{"shop", "Deployment/web web", "proxy.internal/hub/library/nginx:1.27@" + d1}},
			want: []Target{{Namespace: "shop", Reference: "proxy.internal/hub/library/nginx:1.27@" + d1, Tag: "proxy.internal/hub/library/nginx:1.27",
				Digest: "proxy.internal/hub/library/nginx@" + d1, Where: []string{"Deployment/web web"}}},
		},
		{
			// A digest alone cannot be warmed; it is still a target, with no tag.
			name:  "digest without tag",
			found: []Found{{"shop", "Pod/debug dbg", "proxy.internal/hub/library/busybox@" + d2}},
			want: []Target{{Namespace: "shop", Reference: "proxy.internal/hub/library/busybox@" + d2,
				Digest: "proxy.internal/hub/library/busybox@" + d2, Where: []string{"Pod/debug dbg"}}},
		},
		{
			// A tag fills itself on its first pull: nothing to warm, counted as left out.
			name:          "tag only",
			found:         []Found{{"shop", "Deployment/web web", "proxy.internal/hub/library/nginx:1.27"}, {"shop", "Deployment/web app", "proxy.internal/hub/library/app"}},
			withoutDigest: 2,
		},
		{
			// One reference named twice in a namespace is one target with both
			// places; in another namespace (other pull secrets) it is another.
			name: "deduplicated per namespace, sorted",
			found: []Found{
				{"trial", "Deployment/web web", "proxy.internal/hub/library/nginx:1.27@" + d1},
				{"shop", "Deployment/web web", "proxy.internal/hub/library/nginx:1.27@" + d1},
				{"shop", "CronJob/report job", "proxy.internal/hub/library/nginx:1.27@" + d1},
			},
			want: []Target{
				{Namespace: "shop", Reference: "proxy.internal/hub/library/nginx:1.27@" + d1, Tag: "proxy.internal/hub/library/nginx:1.27",
					Digest: "proxy.internal/hub/library/nginx@" + d1, Where: []string{"Deployment/web web", "CronJob/report job"}},
				{Namespace: "trial", Reference: "proxy.internal/hub/library/nginx:1.27@" + d1, Tag: "proxy.internal/hub/library/nginx:1.27",
					Digest: "proxy.internal/hub/library/nginx@" + d1, Where: []string{"Deployment/web web"}},
			},
		},
		{
			// A proxy on a port: the port is not a tag.
			name:  "host with a port",
			found: []Found{{"", "a.yaml:3 Pod/p app", "proxy.internal:5000/hub/app:2@" + d1}},
			want: []Target{{Reference: "proxy.internal:5000/hub/app:2@" + d1, Tag: "proxy.internal:5000/hub/app:2",
				Digest: "proxy.internal:5000/hub/app@" + d1, Where: []string{"a.yaml:3 Pod/p app"}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, without := Select(tc.found)
			if !reflect.DeepEqual(got, tc.want) || without != tc.withoutDigest {
				t.Errorf("Select = %+v, %d\nwant %+v, %d", got, without, tc.want, tc.withoutDigest)
			}
		})
	}
}

func testRewriter(t *testing.T) *rewrite.Rewriter {
	t.Helper()
	rw, err := rewrite.New(rewrite.Rules{Mirrors: []rewrite.Mirror{{Source: "docker.io", Target: "proxy.internal/hub"}}, ExcludeImages: []string{"docker.io/library/busybox*"}})
	if err != nil {
		t.Fatal(err)
	}
	return rw
}

// TestFromManifests: the references that pull through the proxy, as
// rewritten or already proxied, with file, line, object and container; an
// excluded or unrouted image is not the proxy's.
func TestFromManifests(t *testing.T) {
	t.Parallel()
	in := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
        - {name: setup, image: "busybox@` + d2 + `"}
      containers:
        - {name: web, image: "nginx:1.27@` + d1 + `"}
        - {name: side, image: "proxy.internal/hub/library/envoy:1@` + d2 + `"}
        - {name: own, image: "registry.internal/app:1@` + d1 + `"}
`
	found, err := FromManifests([]byte(in), "web.yaml", testRewriter(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []Found{
		{Where: "web.yaml:10 Deployment/web web", Reference: "proxy.internal/hub/library/nginx:1.27@" + d1},
		{Where: "web.yaml:11 Deployment/web side", Reference: "proxy.internal/hub/library/envoy:1@" + d2},
	}
	if !reflect.DeepEqual(found, want) {
		t.Errorf("FromManifests = %+v\nwant %+v", found, want)
	}
	if _, err := FromManifests([]byte("kind: [\n"), "bad.yaml", testRewriter(t)); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("a broken manifest: err = %v, want one naming the file", err)
	}
}

// TestCollector: of a migration plan's rows, those pulled through the proxy,
// by their new value; audit's withheld rewrite counts, as enforce will apply it.
func TestCollector(t *testing.T) {
	t.Parallel()
	var c Collector
	objects := []*migrate.Object{
		{Kind: "Deployment", Namespace: "shop", Name: "web", Rows: []migrate.Row{
			{Field: "web", Old: "nginx:1@" + d1, New: "proxy.internal/hub/library/nginx:1@" + d1, Outcome: rewrite.OutcomeRewritten},
			{Field: "init:setup", Old: "busybox", New: "busybox", Outcome: rewrite.OutcomeExcludedImage},
		}},
		{Kind: "Pod", Namespace: "trial", Name: "p", Rows: []migrate.Row{
			{Field: "app", Old: "app:1@" + d2, New: "proxy.internal/hub/library/app:1@" + d2, Outcome: rewrite.OutcomeAudit},
			{Field: "ready", Old: "proxy.internal/hub/x:1", New: "proxy.internal/hub/x:1", Outcome: rewrite.OutcomeAlreadyProxied},
			{Field: "off", Old: "nginx", New: "nginx", Outcome: rewrite.OutcomeExcludedNamespace},
		}},
	}
	for _, o := range objects {
		if err := c.Object(o); err != nil {
			t.Fatal(err)
		}
	}
	want := []Found{
		{"shop", "Deployment/web web", "proxy.internal/hub/library/nginx:1@" + d1},
		{"trial", "Pod/p app", "proxy.internal/hub/library/app:1@" + d2},
		{"trial", "Pod/p ready", "proxy.internal/hub/x:1"},
	}
	if !reflect.DeepEqual(c.Found, want) {
		t.Errorf("Found = %+v\nwant %+v", c.Found, want)
	}
}
