package deploy

import (
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// checkChart pushes the chart with `make chart-push` to the registry at
// addr, reads it back with helm from the oci:// reference, checks that its
// default image is the one `make image` pushed (imageDigest under
// repo:releaseVersion), and applies its rendering as a server-side dry run.
func checkChart(t *testing.T, root, addr, repo, imageDigest string) {
	out := runIn(t, root, "make", "--no-print-directory", "chart-push", "CHART_REPO=oci://"+addr+"/charts", "VERSION="+releaseVersion)
	chart := "oci://" + addr + "/charts/pullthrough"
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(chart+":"+releaseVersion) + `@sha256:[0-9a-f]{64}$`).MatchString(out) {
		t.Fatalf("make chart-push printed %q, want %s:%s@sha256:...", out, chart, releaseVersion)
	}
	helm := strings.TrimSpace(runIn(t, root, "hack/render-manifests.sh", "--print-helm"))
	show := runIn(t, root, helm, "show", "chart", chart, "--version", releaseVersion, "--plain-http")
	for _, want := range []string{"\nversion: " + releaseVersion + "\n", "\nappVersion: " + releaseVersion + "\n"} {
		if !strings.Contains("\n"+show, want) {
			t.Errorf("helm show chart %s: no line %q in\n%s", chart, strings.TrimSpace(want), show)
		}
	}
	rendered := runIn(t, root, helm, "template", "pullthrough", chart, "--version", releaseVersion, "--plain-http",
		"--namespace", releaseNamespace, "--set", "image.repository="+repo)
	image := repo + ":" + releaseVersion
	if !strings.Contains(rendered, "image: "+image+"\n") {
		t.Errorf("helm template %s: no container runs %s (the chart's appVersion as the tag)", chart, image)
	}
	if got := tagDigest(t, image); got != imageDigest {
		t.Errorf("%s is %s, want the index make image pushed, %s", image, got, imageDigest)
	}
	c := cluster.StartForTest(t, cluster.Options{})
	k8s, err := client.New(c.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dryRunApply(t, k8s, []string{writeTemp(t, "pushed-chart.yaml", []byte(rendered))})
}
