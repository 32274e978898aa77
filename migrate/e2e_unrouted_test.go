package migrate

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/rewrite"
)

// unroutedRows are the plan's rows for testdata/seed-unrouted.yaml, by
// object and field: every spelling of a mirrored registry is planned for its
// mirror, and every public registry without one is named.
var unroutedRows = map[string]map[string]Row{
	"Deployment/spell/spellings": {
		"init:k8s":   {Old: "registry.k8s.io:443/pause:3.9", New: "proxy.example.internal/k8s/pause:3.9", Outcome: rewrite.OutcomeRewritten},
		"ghcr":       {Old: "ghcr.io:443/acme/app:1", New: "proxy.example.internal/ghcr/acme/app:1", Outcome: rewrite.OutcomeRewritten},
		"quay":       {Old: "quay.io:443/calico/node:v3.28.0", New: "proxy.example.internal/quay/calico/node:v3.28.0", Outcome: rewrite.OutcomeRewritten},
		"hub":        {Old: "registry-1.docker.io:443/library/nginx", New: "proxy.example.internal/dockerhub/library/nginx", Outcome: rewrite.OutcomeRewritten},
		"hub-upper":  {Old: "Docker.IO:443/redis:7", New: "proxy.example.internal/dockerhub/library/redis:7", Outcome: rewrite.OutcomeRewritten},
		"other-port": {Old: "ghcr.io:5000/acme/app:1", New: "ghcr.io:5000/acme/app:1", Outcome: rewrite.OutcomeNoRule},
		"proxied":    {Old: "proxy.example.internal:443/ghcr/acme/tool:2", New: "proxy.example.internal:443/ghcr/acme/tool:2", Outcome: rewrite.OutcomeAlreadyProxied},
	},
	"Deployment/spell/public": {
		"dotnet":   {Old: "mcr.microsoft.com/dotnet/runtime:8.0", New: "mcr.microsoft.com/dotnet/runtime:8.0", Outcome: rewrite.OutcomeUnroutedPublic},
		"cuda":     {Old: "nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04", New: "nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04", Outcome: rewrite.OutcomeUnroutedPublic},
		"regional": {Old: "eu.gcr.io/acme/exporter:1", New: "eu.gcr.io/acme/exporter:1", Outcome: rewrite.OutcomeUnroutedPublic},
		"private":  {Old: "registry.corp.example/team/app:1", New: "registry.corp.example/team/app:1", Outcome: rewrite.OutcomeNoRule},
	},
}

// TestE2EUnroutedAndSpellings plans and applies on a real API server: each
// spelling is migrated to its mirror, the public images without one are
// shown as unrouted-public and left alone, and so is an internal image.
func TestE2EUnroutedAndSpellings(t *testing.T) {
	env := startE2E(t)
	seeded := env.seed(t, readManifests(t, "testdata/seed-unrouted.yaml"), nil)
	m := env.migrator(t, nil, Options{})
	plan, err := m.Plan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range plan.Report.Objects {
		want, ok := unroutedRows[o.Kind+"/"+o.Namespace+"/"+o.Name]
		if !ok {
			continue
		}
		if len(o.Rows) != len(want) {
			t.Errorf("%s/%s: %d rows, want %d: %+v", o.Namespace, o.Name, len(o.Rows), len(want), o.Rows)
		}
		for _, row := range o.Rows {
			w := want[row.Field]
			if row.Old != w.Old || row.New != w.New || row.Outcome != w.Outcome {
				t.Errorf("%s/%s %s: {%q %q %s}, want {%q %q %s}", o.Namespace, o.Name, row.Field, row.Old, row.New, row.Outcome, w.Old, w.New, w.Outcome)
			}
		}
	}
	if got := plan.Report.Totals.Outcomes[rewrite.OutcomeUnroutedPublic]; got != 4 {
		t.Errorf("plan totals: %d unrouted-public, want 4 (three containers and the ConfigMap's hub)", got)
	}
	if s := Summary(plan.Report); !strings.Contains(s, "4 values still on public registries no mirror covers") {
		t.Errorf("summary %q does not count the unrouted-public values", s)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, plan.Report); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(strings.Split(table.String(), "\n"), func(line string) bool {
		return strings.Contains(line, "mcr.microsoft.com/dotnet/runtime:8.0") && strings.Contains(line, "unrouted-public")
	}) {
		t.Errorf("the plan table does not show the unrouted image:\n%s", table.String())
	}

	applied, err := m.Apply(t.Context(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if applied.Totals.Failed != 0 {
		t.Fatalf("apply: %d failed: %+v", applied.Totals.Failed, applied.Failed())
	}
	now := env.fetch(t, seeded["Deployment/spell/spellings"])
	for i, want := range []string{
		"proxy.example.internal/ghcr/acme/app:1", "proxy.example.internal/quay/calico/node:v3.28.0",
		"proxy.example.internal/dockerhub/library/nginx", "proxy.example.internal/dockerhub/library/redis:7",
		"ghcr.io:5000/acme/app:1", "proxy.example.internal:443/ghcr/acme/tool:2",
	} {
		if got, _ := lookupString(now.Object, fmt.Sprintf("/spec/template/spec/containers/%d/image", i)); got != want {
			t.Errorf("spellings container %d = %q, want %q", i, got, want)
		}
	}
	if got, _ := lookupString(now.Object, "/spec/template/spec/initContainers/0/image"); got != "proxy.example.internal/k8s/pause:3.9" {
		t.Errorf("spellings init container = %q", got)
	}
	cm := env.fetch(t, seeded["ConfigMap/addons/spelled-images"])
	if got, _ := lookupString(cm.Object, "/data/images.yaml"); got != "image: proxy.example.internal/quay/calico/node:v3.28.0\nhub: mcr.microsoft.com/oss\n" {
		t.Errorf("ConfigMap value = %q", got)
	}
	env.assertUnwritten(t, seeded, map[string]map[string]string{
		"Deployment/spell/spellings": nil, "ConfigMap/addons/spelled-images": nil,
	}, "after the apply")
}
