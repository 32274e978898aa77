package fleet

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

func testJudge(t *testing.T) Judge {
	t.Helper()
	rw, err := rewrite.New(rewrite.Rules{
		Mirrors:          []rewrite.Mirror{{Source: "docker.io", Target: "proxy.internal/hub"}, {Source: "ghcr.io", Target: "proxy.internal/ghcr"}},
		ExcludeImages:    []string{"docker.io/library/busybox*"},
		PublicRegistries: []string{"nvcr.io"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return Judge{Rewriter: rw, NamespaceExcluded: func(ns string) bool { return ns == "kube-system" }}
}

func TestPodRows(t *testing.T) {
	t.Parallel()
	j := testJudge(t)
	pod := func(ns string, labels map[string]string, images ...string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p", Labels: labels}}
		p.Spec.InitContainers = []corev1.Container{{Name: "setup", Image: images[0]}}
		p.Spec.Containers = []corev1.Container{{Name: "app", Image: images[1]}}
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: images[2]}}}
		return p
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want []string // container image registry outcome
	}{
		{"every list, judged", pod("shop", nil, "busybox", "ghcr.io/a/b:1", "nvcr.io/x/y:2"), []string{
			"init:setup busybox docker.io excluded-image",
			"app ghcr.io/a/b:1 ghcr.io rewritten",
			"ephemeral:dbg nvcr.io/x/y:2 nvcr.io unrouted-public",
		}},
		// Registry is the canonical host, whatever the spelling.
		{"aliases and proxy", pod("shop", nil, "registry-1.docker.io/library/nginx", "proxy.internal/hub/library/nginx", "Bad:Ref"), []string{
			"init:setup registry-1.docker.io/library/nginx docker.io rewritten",
			"app proxy.internal/hub/library/nginx proxy.internal already-proxied",
			"ephemeral:dbg Bad:Ref  unparseable",
		}},
		{"excluded namespace", pod("kube-system", nil, "nginx", "nginx", "nginx"), []string{
			"init:setup nginx docker.io excluded-namespace",
			"app nginx docker.io excluded-namespace",
			"ephemeral:dbg nginx docker.io excluded-namespace",
		}},
		{"opted out", pod("kube-system", map[string]string{wellknown.LabelSkip: "true"}, "nginx", "nginx", "nginx"), []string{
			"init:setup nginx docker.io opted-out",
			"app nginx docker.io opted-out",
			"ephemeral:dbg nginx docker.io opted-out",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows := j.PodRows("c", "Pod/p", tc.pod)
			var got []string
			for _, r := range rows {
				if r.Cluster != "c" || r.Owner != "Pod/p" || r.Pod != "p" || r.Namespace != tc.pod.Namespace {
					t.Errorf("row %+v: cluster, owner, pod or namespace wrong", r)
				}
				got = append(got, strings.Join([]string{r.Container, r.Image, r.Registry, string(r.Outcome)}, " "))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestPodRowsPullFailure: a container waiting on a failed pull is named on
// its row when its image pulls through the proxy; a direct pull's failure is
// not pullthrough's, and a running container has none.
func TestPodRowsPullFailure(t *testing.T) {
	t.Parallel()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "p"}}
	p.Spec.InitContainers = []corev1.Container{{Name: "setup", Image: "proxy.internal/hub/library/migrate:1"}}
	p.Spec.Containers = []corev1.Container{{Name: "app", Image: "proxy.internal/ghcr/acme/app:1"}, {Name: "direct", Image: "ghcr.io/acme/side:1"}, {Name: "ok", Image: "proxy.internal/hub/library/ok:1"}}
	p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "proxy.internal/hub/library/dbg:1"}}}
	waiting := func(name, reason string) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
	}
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{waiting("setup", "ErrImagePull")}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "ImagePullBackOff"), waiting("direct", "ImagePullBackOff"),
		{Name: "ok", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	p.Status.EphemeralContainerStatuses = []corev1.ContainerStatus{waiting("dbg", "CreateContainerConfigError")}
	want := map[string]string{"init:setup": "ErrImagePull", "app": "ImagePullBackOff", "direct": "", "ok": "", "ephemeral:dbg": ""}
	for _, r := range testJudge(t).PodRows("c", "Pod/p", p) {
		if r.PullFailure != want[r.Container] {
			t.Errorf("%s (%s): pull failure %q, want %q", r.Container, r.Outcome, r.PullFailure, want[r.Container])
		}
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	rows := func(n int, outcome rewrite.Outcome, registry string) []Row {
		out := make([]Row, n)
		for i := range out {
			out[i] = Row{Cluster: "prod-eu", Outcome: outcome, Registry: registry}
		}
		return out
	}
	var many []Row
	many = append(many, rows(1100, rewrite.OutcomeAlreadyProxied, "proxy.internal")...)
	many = append(many, rows(30, rewrite.OutcomeRewritten, "docker.io")...)
	many = append(many, rows(5, rewrite.OutcomeRewritten, "ghcr.io")...)
	many = append(many, rows(2, rewrite.OutcomeRewritten, "quay.io")...)
	many = append(many, rows(2, rewrite.OutcomeUnroutedPublic, "nvcr.io")...)
	many = append(many, rows(65, rewrite.OutcomeNoRule, "corp.internal")...)
	for _, tc := range []struct {
		name string
		rows []Row
		want string
	}{
		{"the issue's example", many, "prod-eu: 1,204 references, 37 still pull direct from 3 registries, 2 unrouted public"},
		// Singular nouns for one.
		{"one of each", rows(1, rewrite.OutcomeRewritten, "docker.io"), "prod-eu: 1 reference, 1 still pull direct from 1 registry, 0 unrouted public"},
		// A cluster without pods has its line too.
		{"none", nil, "prod-eu: 0 references, 0 still pull direct from 0 registries, 0 unrouted public"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Summary("prod-eu", tc.rows); got != tc.want {
				t.Errorf("Summary = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	rows := []Row{
		{Cluster: "b", Namespace: "shop", Owner: "Deployment/web", Pod: "web-2", Container: "app", Image: "nginx", Registry: "docker.io", Outcome: rewrite.OutcomeRewritten},
		{Cluster: "a", Error: "list pods across the cluster: connection refused"},
		{Cluster: "b", Namespace: "shop", Owner: "Deployment/web", Pod: "web-1", Container: "app", Image: "nginx", Registry: "docker.io", Outcome: rewrite.OutcomeRewritten},
		{Cluster: "b", Namespace: "shop", Owner: "Pod/x", Pod: "x", Container: "c", Image: "Bad", Outcome: rewrite.OutcomeUnparseable},
		// A carriage return would print "nginx" over the rest of the row.
		{Cluster: "b", Namespace: "shop", Owner: "Pod/y", Pod: "y", Container: "c", Image: "evil.example/x\rnginx", Outcome: rewrite.OutcomeNoRule},
		{Cluster: "b", Namespace: "shop", Owner: "Pod/z", Pod: "z", Container: "c", Image: "proxy.internal/hub/x:1", Registry: "proxy.internal",
			Outcome: rewrite.OutcomeAlreadyProxied, PullFailure: "ImagePullBackOff"},
	}
	clusters := []string{"a", "b", "empty"}
	Sort(rows, clusters)
	var b strings.Builder
	if err := WriteTable(&b, rows, clusters); err != nil {
		t.Fatal(err)
	}
	want := `a: error: list pods across the cluster: connection refused

CLUSTER b
NAMESPACE  OWNER           POD    CONTAINER  IMAGE                    REGISTRY        OUTCOME          PULL
shop       Deployment/web  web-1  app        nginx                    docker.io       rewritten        -
                           web-2  app        nginx                    docker.io       rewritten        -
shop       Pod/x           x      c          Bad                      -               unparseable      -
shop       Pod/y           y      c          "evil.example/x\rnginx"  -               no-rule          -
shop       Pod/z           z      c          proxy.internal/hub/x:1   proxy.internal  already-proxied  ImagePullBackOff
b: 5 references, 2 still pull direct from 1 registry, 0 unrouted public, 1 failing to pull through the proxy

CLUSTER empty
NAMESPACE  OWNER  POD  CONTAINER  IMAGE  REGISTRY  OUTCOME  PULL
empty: 0 references, 0 still pull direct from 0 registries, 0 unrouted public

`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}
