package migrate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// testModes are the namespaces of the offline tests, as a run would have
// read them: quiet is labelled pullthrough.dev/mode=off and trial audit;
// a namespace not listed here was not there when the run started.
var testModes = namespaceModes{
	"shop": config.ModeEnforce, "legacy-shop": config.ModeEnforce, "calico-system": config.ModeEnforce, "istio-system": config.ModeEnforce,
	"quiet": config.ModeOff, "trial": config.ModeAudit,
}

// forwardOffline is a forward run that read the namespaces of testModes.
func forwardOffline(m *Migrator) direction {
	return &forward{m: m, modes: testModes}
}

// decideOffline runs the objects through the Migrator's sources for their
// resource, as a list would, in direction d, and returns the plan.
func decideOffline(t *testing.T, m *Migrator, d direction, resource string, objs ...*unstructured.Unstructured) *Plan {
	t.Helper()
	var items []*item
	index := map[string]*item{}
	for _, s := range m.sources {
		if s.gvr.Resource != resource {
			continue
		}
		for _, u := range objs {
			if it := m.found(d, index, s, u.DeepCopy()); it != nil {
				items = append(items, it)
			}
		}
	}
	return newPlan(d, items)
}

// patched applies the planned patch of the plan's only object to u locally,
// as the API server would.
func patched(t *testing.T, p *Plan, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	ops, err := json.Marshal(p.items[0].ops)
	if err != nil {
		t.Fatal(err)
	}
	patch, err := jsonpatch.DecodePatch(ops)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	out, err := patch.Apply(doc)
	if err != nil {
		t.Fatalf("patch does not apply: %v\npatch: %s", err, ops)
	}
	result := &unstructured.Unstructured{}
	if err := json.Unmarshal(out, &result.Object); err != nil {
		t.Fatal(err)
	}
	return result
}

const webDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      initContainers: [{name: setup, image: "busybox:1.36"}]
      containers:
      - {name: nginx, image: "nginx:1.27"}
      - {name: envoy, image: "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0"}
      - {name: app, image: "ghcr.io/acme/web:2"}
`

// helmCronJob is a CronJob of Helm release shop/backup.
const helmCronJob = `
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  namespace: shop
  labels: {app.kubernetes.io/managed-by: Helm}
  annotations: {meta.helm.sh/release-name: backup, meta.helm.sh/release-namespace: shop}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: backup, image: "alpine:3.20"}]}}}}}`

func TestDecideApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		resource  string
		manifests []string
		status    Status
		managedBy []string
		rows      []Row
		errPart   string
		opts      Options
	}{{
		name: "deployment", resource: "deployments", manifests: []string{webDeployment}, status: StatusPlanned,
		rows: []Row{
			{"init:setup", "/spec/template/spec/initContainers/0/image", "busybox:1.36", "busybox:1.36", rewrite.OutcomeExcludedImage},
			{"nginx", "/spec/template/spec/containers/0/image", "nginx:1.27", "proxy.example.internal/dockerhub/library/nginx:1.27", rewrite.OutcomeRewritten},
			{"envoy", "/spec/template/spec/containers/1/image", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", rewrite.OutcomeAlreadyProxied},
			{"app", "/spec/template/spec/containers/2/image", "ghcr.io/acme/web:2", "proxy.example.internal/ghcr/acme/web:2", rewrite.OutcomeRewritten},
		},
	}, {
		name: "excluded namespace", resource: "deployments", status: StatusUnchanged,
		manifests: []string{strings.Replace(webDeployment, "namespace: shop", "namespace: legacy-shop", 1)},
		rows: []Row{
			{"init:setup", "/spec/template/spec/initContainers/0/image", "busybox:1.36", "busybox:1.36", rewrite.OutcomeExcludedNamespace},
			{"nginx", "/spec/template/spec/containers/0/image", "nginx:1.27", "nginx:1.27", rewrite.OutcomeExcludedNamespace},
			{"envoy", "/spec/template/spec/containers/1/image", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", rewrite.OutcomeExcludedNamespace},
			{"app", "/spec/template/spec/containers/2/image", "ghcr.io/acme/web:2", "ghcr.io/acme/web:2", rewrite.OutcomeExcludedNamespace},
		},
	}, {
		// pullthrough.dev/skip on the pod template: the webhook leaves its
		// pods alone, so the migrator leaves the template alone.
		name: "template opted out", resource: "deployments", status: StatusUnchanged,
		manifests: []string{strings.Replace(webDeployment, "  template:\n", "  template:\n    metadata: {labels: {pullthrough.dev/skip: \"true\"}}\n", 1)},
		rows: []Row{
			{"init:setup", "/spec/template/spec/initContainers/0/image", "busybox:1.36", "busybox:1.36", rewrite.OutcomeOptedOut},
			{"nginx", "/spec/template/spec/containers/0/image", "nginx:1.27", "nginx:1.27", rewrite.OutcomeOptedOut},
			{"envoy", "/spec/template/spec/containers/1/image", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", rewrite.OutcomeOptedOut},
			{"app", "/spec/template/spec/containers/2/image", "ghcr.io/acme/web:2", "ghcr.io/acme/web:2", rewrite.OutcomeOptedOut},
		},
	}, {
		// A ConfigMap a config target selects, labelled as a release's own
		// (the chart's config): its registry references stay as written.
		name: "release's configmap", resource: "configmaps", status: StatusUnchanged,
		manifests: []string{`
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-sidecar-injector, namespace: istio-system, labels: {app.kubernetes.io/name: pullthrough}}
data: {values: "hub: docker.io/istio"}
`},
		rows: []Row{{"data.values", "/data/values", "docker.io/istio", "docker.io/istio", rewrite.OutcomeOptedOut}},
	}, {
		// Labelled pullthrough.dev/mode=off: as exclude.namespaces.
		name: "off namespace", resource: "deployments", status: StatusUnchanged,
		manifests: []string{strings.Replace(webDeployment, "namespace: shop", "namespace: quiet", 1)},
		rows: []Row{
			{"init:setup", "/spec/template/spec/initContainers/0/image", "busybox:1.36", "busybox:1.36", rewrite.OutcomeExcludedNamespace},
			{"nginx", "/spec/template/spec/containers/0/image", "nginx:1.27", "nginx:1.27", rewrite.OutcomeExcludedNamespace},
			{"envoy", "/spec/template/spec/containers/1/image", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", rewrite.OutcomeExcludedNamespace},
			{"app", "/spec/template/spec/containers/2/image", "ghcr.io/acme/web:2", "ghcr.io/acme/web:2", rewrite.OutcomeExcludedNamespace},
		},
	}, {
		// Labelled pullthrough.dev/mode=audit: every rewrite shown, none made.
		name: "audit namespace", resource: "deployments", status: StatusUnchanged,
		manifests: []string{strings.Replace(webDeployment, "namespace: shop", "namespace: trial", 1)},
		rows: []Row{
			{"init:setup", "/spec/template/spec/initContainers/0/image", "busybox:1.36", "busybox:1.36", rewrite.OutcomeExcludedImage},
			{"nginx", "/spec/template/spec/containers/0/image", "nginx:1.27", "proxy.example.internal/dockerhub/library/nginx:1.27", rewrite.OutcomeAudit},
			{"envoy", "/spec/template/spec/containers/1/image", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", "proxy.example.internal/dockerhub/envoyproxy/envoy:v1.30.0", rewrite.OutcomeAlreadyProxied},
			{"app", "/spec/template/spec/containers/2/image", "ghcr.io/acme/web:2", "proxy.example.internal/ghcr/acme/web:2", rewrite.OutcomeAudit},
		},
	}, {
		// A Job in an audit namespace has nothing the migrator would rewrite.
		name: "job in an audit namespace", resource: "jobs", status: StatusUnchanged,
		manifests: []string{`
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: trial}
spec: {template: {spec: {containers: [{name: c, image: "alpine:3.20"}]}}}`},
		rows: []Row{{"c", "/spec/template/spec/containers/0/image", "alpine:3.20", "proxy.example.internal/dockerhub/library/alpine:3.20", rewrite.OutcomeAudit}},
	}, {
		// Created after the run read the namespaces: its label is unknown.
		name: "namespace the run did not read", resource: "deployments", status: StatusFailed,
		manifests: []string{strings.Replace(webDeployment, "namespace: shop", "namespace: newer", 1)},
		errPart:   "namespace newer was created after the run read the pullthrough.dev/mode labels",
	}, {
		name: "cronjob", resource: "cronjobs", status: StatusPlanned,
		manifests: []string{helmCronJob},
		rows:      []Row{{"backup", "/spec/jobTemplate/spec/template/spec/containers/0/image", "alpine:3.20", "proxy.example.internal/dockerhub/library/alpine:3.20", rewrite.OutcomeRewritten}},
		opts:      Options{IncludeManaged: true}, managedBy: []string{"Helm release shop/backup"},
	}, {
		// A Helm release's: its next upgrade would put the old image back.
		name: "cronjob of a helm release", resource: "cronjobs", status: StatusGitOpsManaged,
		manifests: []string{helmCronJob}, managedBy: []string{"Helm release shop/backup"},
		rows: []Row{{"backup", "/spec/jobTemplate/spec/template/spec/containers/0/image", "alpine:3.20", "proxy.example.internal/dockerhub/library/alpine:3.20", rewrite.OutcomeRewritten}},
	}, {
		// Nothing to change: the manager alone makes no gitops-managed status.
		name: "managed, nothing to change", resource: "cronjobs", status: StatusUnchanged,
		manifests: []string{strings.Replace(helmCronJob, `"alpine:3.20"`, `"registry.corp.example/backup:1"`, 1)}, managedBy: []string{"Helm release shop/backup"},
		rows: []Row{{"backup", "/spec/jobTemplate/spec/template/spec/containers/0/image", "registry.corp.example/backup:1", "registry.corp.example/backup:1", rewrite.OutcomeNoRule}},
	}, {
		// Image volumes are planned like containers, named volume:NAME; a
		// volume that is not an image, and image: {}, are not patched.
		name: "cronjob with image volumes", resource: "cronjobs", status: StatusPlanned,
		manifests: []string{`
apiVersion: batch/v1
kind: CronJob
metadata: {name: train, namespace: shop}
spec: {jobTemplate: {spec: {template: {spec: {
  containers: [{name: models, image: "registry.corp.example/train:1"}],
  volumes: [{name: scratch, emptyDir: {}}, {name: models, image: {reference: "ghcr.io/acme/models:v3", pullPolicy: IfNotPresent}}, {name: pending, image: {}}]}}}}}`},
		rows: []Row{
			{"models", "/spec/jobTemplate/spec/template/spec/containers/0/image", "registry.corp.example/train:1", "registry.corp.example/train:1", rewrite.OutcomeNoRule},
			{"volume:models", "/spec/jobTemplate/spec/template/spec/volumes/1/image/reference", "ghcr.io/acme/models:v3", "proxy.example.internal/ghcr/acme/models:v3", rewrite.OutcomeRewritten},
			{"volume:pending", "/spec/jobTemplate/spec/template/spec/volumes/2/image/reference", "", "", rewrite.OutcomeUnparseable},
		},
	}, {
		name: "bare pod is reported", resource: "pods", status: StatusReportOnly,
		manifests: []string{`
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop}
spec: {ephemeralContainers: [{name: shell, image: "nicolaka/netshoot"}], containers: [{name: c, image: "registry.k8s.io/pause:3.10"}]}`},
		rows: []Row{
			{"c", "/spec/containers/0/image", "registry.k8s.io/pause:3.10", "proxy.example.internal/k8s/pause:3.10", rewrite.OutcomeRewritten},
			{"ephemeral:shell", "/spec/ephemeralContainers/0/image", "nicolaka/netshoot", "proxy.example.internal/dockerhub/nicolaka/netshoot", rewrite.OutcomeRewritten},
		},
	}, {
		name: "operator's deployment is reported", resource: "deployments", status: StatusReportOnly,
		managedBy: []string{"Installation/default"},
		manifests: []string{`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: typha
  namespace: calico-system
  ownerReferences: [{apiVersion: operator.tigera.io/v1, kind: Installation, name: default, uid: "1", controller: true}]
spec: {template: {spec: {containers: [{name: typha, image: "quay.io/calico/typha:v3.28.0"}]}}}`},
		rows: []Row{{"typha", "/spec/template/spec/containers/0/image", "quay.io/calico/typha:v3.28.0", "proxy.example.internal/quay/calico/typha:v3.28.0", rewrite.OutcomeRewritten}},
	}, {
		name: "istio injector values", resource: "configmaps", status: StatusPlanned,
		manifests: []string{`
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-sidecar-injector, namespace: istio-system}
data:
  config: "policy: enabled"
  values: '{"global":{"hub":"docker.io/istio","tag":"1.22.0","proxy":{"image":"proxyv2"}},"pilot":{"image":"nginx"}}'`},
		// "nginx" is an implicit Docker Hub name: never guessed at.
		rows: []Row{{"data.values", "/data/values", "docker.io/istio", "proxy.example.internal/dockerhub/istio", rewrite.OutcomeRewritten}},
	}, {
		name: "configmap in an audit namespace", resource: "configmaps", status: StatusUnchanged,
		manifests: []string{`
apiVersion: v1
kind: ConfigMap
metadata: {name: addon-images, namespace: trial, labels: {app: my-addon}}
data: {images.yaml: "image: quay.io/calico/node:v3.28.0"}`},
		rows: []Row{{"data.images.yaml", "/data/images.yaml", "quay.io/calico/node:v3.28.0", "proxy.example.internal/quay/calico/node:v3.28.0", rewrite.OutcomeAudit}},
	}, {
		name: "configmap in an off namespace", resource: "configmaps", status: StatusUnchanged,
		manifests: []string{`
apiVersion: v1
kind: ConfigMap
metadata: {name: addon-images, namespace: quiet, labels: {app: my-addon}}
data: {images.yaml: "image: quay.io/calico/node:v3.28.0"}`},
		rows: []Row{{"data.images.yaml", "/data/images.yaml", "quay.io/calico/node:v3.28.0", "quay.io/calico/node:v3.28.0", rewrite.OutcomeExcludedNamespace}},
	}, {
		// Two field targets, one object: one object, one patch.
		name: "custom resource with two fields", resource: "installations", status: StatusPlanned,
		manifests: []string{`
apiVersion: operator.example.io/v1
kind: Installation
metadata: {name: default}
spec: {registry: "quay.io/", node: {image: "docker.io/calico/node:v3.28.0"}}`},
		rows: []Row{
			{"spec.registry", "/spec/registry", "quay.io/", "proxy.example.internal/quay/", rewrite.OutcomeRewritten},
			{"spec.node.image", "/spec/node/image", "docker.io/calico/node:v3.28.0", "proxy.example.internal/dockerhub/calico/node:v3.28.0", rewrite.OutcomeRewritten},
		},
	}, {
		// Calico's Installation without spec.registry pulls from quay.io: the
		// plan says so and names the value to set; no patch can test an
		// absent value, so the object is report-only. A field with no known
		// default is still listed.
		name: "custom resource field left unset", resource: "installations", status: StatusReportOnly,
		manifests: []string{`
apiVersion: operator.example.io/v1
kind: Installation
metadata: {name: default}
spec: {}`},
		rows: []Row{
			{"spec.registry", "/spec/registry", "(unset: quay.io)", "proxy.example.internal/quay", rewrite.OutcomeRewritten},
			{"spec.node.image", "/spec/node/image", "(unset)", "(unset)", rewrite.OutcomeNoRule},
		},
	}, {
		name: "custom resource field of the wrong type", resource: "installations", status: StatusFailed,
		manifests: []string{`
apiVersion: operator.example.io/v1
kind: Installation
metadata: {name: default}
spec: {registry: {host: quay.io}}`},
		errPart: "spec.registry: is a map[string]interface {}, not a string",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newOfflineMigrator(t, tt.opts)
			var objs []*unstructured.Unstructured
			for _, manifest := range tt.manifests {
				objs = append(objs, object(t, manifest))
			}
			p := decideOffline(t, m, forwardOffline(m), tt.resource, objs...)
			r := p.Report
			if len(r.Objects) != 1 {
				t.Fatalf("%d objects in the report, want 1", len(r.Objects))
			}
			o := r.Objects[0]
			if o.Status != tt.status || !reflect.DeepEqual(o.ManagedBy, tt.managedBy) || !strings.Contains(o.Error, tt.errPart) {
				t.Fatalf("status %s, managed by %q, error %q; want %s, %q, %q", o.Status, o.ManagedBy, o.Error, tt.status, tt.managedBy, tt.errPart)
			}
			if !reflect.DeepEqual(o.Rows, tt.rows) {
				t.Fatalf("rows:\n got %+v\nwant %+v", o.Rows, tt.rows)
			}
			if ops := p.items[0].ops; (o.Status == StatusPlanned) != (len(ops) > 0) {
				t.Fatalf("status %s with %d planned operations", o.Status, len(ops))
			}
			if o.Status == StatusPlanned {
				roundTrip(t, m, tt.resource, objs[0], p)
			}
		})
	}
}

// roundTrip applies the planned patch locally, checks that planning again
// finds nothing to change, then that undo gives the original back.
func roundTrip(t *testing.T, m *Migrator, resource string, original *unstructured.Unstructured, plan *Plan) {
	t.Helper()
	migrated := patched(t, plan, original)
	if again := decideOffline(t, m, forwardOffline(m), resource, migrated).Report; again.Totals.Objects[StatusPlanned] != 0 {
		t.Fatalf("a second plan after apply plans again: %+v", again.Objects[0].Rows)
	}
	undoPlan := decideOffline(t, m, &undo{m: m}, resource, migrated)
	undo := undoPlan.Report
	if len(undo.Objects) != 1 || undo.Objects[0].Status != StatusPlanned {
		t.Fatalf("undo plan: %+v", undo.Objects)
	}
	for _, row := range undo.Objects[0].Rows {
		if row.Outcome != OutcomeRestored {
			t.Errorf("undo row %+v, want restored", row)
		}
	}
	restored := patched(t, undoPlan, migrated)
	if ann := restored.GetAnnotations(); len(ann) == 0 {
		unstructured.RemoveNestedField(restored.Object, "metadata", "annotations")
	}
	if !reflect.DeepEqual(restored.Object, original.Object) {
		t.Fatalf("undo does not restore the original:\n got %v\nwant %v", restored.Object, original.Object)
	}
}

func TestDecideUndo(t *testing.T) {
	t.Parallel()
	const image0 = "/spec/template/spec/containers/0/image"
	const image2 = "/spec/template/spec/containers/2/image"
	migrated := func(record string, images ...string) *unstructured.Unstructured {
		u := object(t, webDeployment)
		u.SetAnnotations(map[string]string{wellknown.AnnotationMigratedImages: record})
		for i, image := range images {
			if err := setString(u.Object, []string{image0, image2}[i], image); err != nil {
				t.Fatal(err)
			}
		}
		return u
	}
	both := `{"` + image0 + `":"nginx:1.27","` + image2 + `":"ghcr.io/acme/web:2"}`
	tests := []struct {
		name   string
		obj    *unstructured.Unstructured
		status Status
		rows   []Row
	}{{
		name: "everything restorable", status: StatusPlanned,
		obj: migrated(both, "proxy.example.internal/dockerhub/library/nginx:1.27", "proxy.example.internal/ghcr/acme/web:2"),
		rows: []Row{
			{"nginx", image0, "proxy.example.internal/dockerhub/library/nginx:1.27", "nginx:1.27", OutcomeRestored},
			{"app", image2, "proxy.example.internal/ghcr/acme/web:2", "ghcr.io/acme/web:2", OutcomeRestored},
		},
	}, {
		// The team moved to a new tag after the migration: keep it, and
		// its original in the record.
		name: "changed since", status: StatusPlanned,
		obj: migrated(both, "proxy.example.internal/dockerhub/library/nginx:1.28", "proxy.example.internal/ghcr/acme/web:2"),
		rows: []Row{
			{"nginx", image0, "proxy.example.internal/dockerhub/library/nginx:1.28", "nginx:1.27", OutcomeChangedSince},
			{"app", image2, "proxy.example.internal/ghcr/acme/web:2", "ghcr.io/acme/web:2", OutcomeRestored},
		},
	}, {
		// The container was removed after the migration: nothing to
		// restore, no patch, and the record stays whole.
		name: "recorded path gone", status: StatusUnchanged,
		obj:  migrated(`{"/spec/template/spec/containers/7/image":"nginx:1.27"}`),
		rows: []Row{{"/spec/template/spec/containers/7/image", "/spec/template/spec/containers/7/image", "", "nginx:1.27", OutcomeChangedSince}},
	}, {
		// Undo takes back what pullthrough wrote, whatever the namespace's
		// pullthrough.dev/mode label says now.
		name: "off namespace is restored all the same", status: StatusPlanned,
		obj: inNamespace("quiet", migrated(both, "proxy.example.internal/dockerhub/library/nginx:1.27", "proxy.example.internal/ghcr/acme/web:2")),
		rows: []Row{
			{"nginx", image0, "proxy.example.internal/dockerhub/library/nginx:1.27", "nginx:1.27", OutcomeRestored},
			{"app", image2, "proxy.example.internal/ghcr/acme/web:2", "ghcr.io/acme/web:2", OutcomeRestored},
		},
	}, {
		name: "audit namespace is restored all the same", status: StatusPlanned,
		obj: inNamespace("trial", migrated(both, "proxy.example.internal/dockerhub/library/nginx:1.27", "proxy.example.internal/ghcr/acme/web:2")),
		rows: []Row{
			{"nginx", image0, "proxy.example.internal/dockerhub/library/nginx:1.27", "nginx:1.27", OutcomeRestored},
			{"app", image2, "proxy.example.internal/ghcr/acme/web:2", "ghcr.io/acme/web:2", OutcomeRestored},
		},
	}, {
		// exclude.namespaces, by contrast, is never touched.
		name: "excluded namespace is left alone", status: StatusUnchanged,
		obj: inNamespace("legacy-shop", migrated(both, "proxy.example.internal/dockerhub/library/nginx:1.27", "proxy.example.internal/ghcr/acme/web:2")),
		rows: []Row{
			{"nginx", image0, "proxy.example.internal/dockerhub/library/nginx:1.27", "proxy.example.internal/dockerhub/library/nginx:1.27", rewrite.OutcomeExcludedNamespace},
			{"app", image2, "proxy.example.internal/ghcr/acme/web:2", "proxy.example.internal/ghcr/acme/web:2", rewrite.OutcomeExcludedNamespace},
		},
	}, {
		name: "not our JSON", status: StatusFailed, obj: migrated("nginx"),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newOfflineMigrator(t, Options{})
			p := decideOffline(t, m, &undo{m: m}, "deployments", tt.obj, object(t, webDeployment))
			r := p.Report
			if len(r.Objects) != 1 {
				t.Fatalf("%d objects, want 1: objects without the record are not listed by undo", len(r.Objects))
			}
			o := r.Objects[0]
			if o.Status != tt.status || !reflect.DeepEqual(o.Rows, tt.rows) {
				t.Fatalf("status %s (%s), rows:\n got %+v\nwant %+v", o.Status, o.Error, o.Rows, tt.rows)
			}
			if o.Status != StatusPlanned {
				return
			}
			after := patched(t, p, tt.obj)
			kept := map[string]string{}
			for _, row := range o.Rows {
				want := row.Old
				if row.Outcome == OutcomeRestored {
					want = row.New
				} else {
					kept[row.Path] = row.New
				}
				if got, _ := lookupString(after.Object, row.Path); got != want {
					t.Errorf("%s = %q after undo, want %q", row.Path, got, want)
				}
			}
			record, ok := after.GetAnnotations()[wellknown.AnnotationMigratedImages]
			switch want := wellknown.EncodeRecord(kept); {
			case len(kept) == 0 && ok:
				t.Errorf("undo restored everything and kept the record %s", record)
			case len(kept) > 0 && record != want:
				t.Errorf("record after undo = %q, want %q: only restored values leave it", record, want)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	m := newOfflineMigrator(t, Options{Diff: true})
	r := decideOffline(t, m, forwardOffline(m), "deployments", object(t, webDeployment)).Report
	if o := r.Objects[0]; o.Status != StatusPlanned {
		t.Fatalf("status %s (%s), want planned", o.Status, o.Error)
	}
	golden(t, "diff.golden", r.Objects[0].Diff)
}
