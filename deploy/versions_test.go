package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDocsKubernetesVersions: every "Kubernetes 1.N or later" (or "1.N+")
// the docs and the README state is at least the oldest version the chart
// accepts (Chart.yaml's kubeVersion): install.md once promised 1.30 to a
// chart that refuses anything below 1.35.
func TestDocsKubernetesVersions(t *testing.T) {
	t.Parallel()
	chart, err := os.ReadFile("charts/pullthrough/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^kubeVersion: ">=1\.(\d+)\.`).FindSubmatch(chart)
	if m == nil {
		t.Fatal(`Chart.yaml: no kubeVersion ">=1.N.x"`)
	}
	oldest, _ := strconv.Atoi(string(m[1]))
	files, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	claim := regexp.MustCompile(`Kubernetes (?:v)?1\.(\d+)(?:\+| or later| and later| or newer)`)
	checked := 0
	for _, file := range append(files, "../README.md", "../CONTRIBUTING.md") {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range claim.FindAllStringSubmatch(string(text), -1) {
			checked++
			if minor, _ := strconv.Atoi(c[1]); minor < oldest {
				t.Errorf("%s: %q, but the chart's kubeVersion refuses anything below 1.%d", file, c[0], oldest)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no Kubernetes version claim found in the docs: the scan is broken")
	}
}

// TestChartValuesDescribed: every row of the chart README's values table,
// which helm-docs generates from values.yaml's "# --" comments, has a
// description. helm-docs leaves one empty when it cannot read the comment
// (an apostrophe once blanked webhook.log.level's).
func TestChartValuesDescribed(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("charts/pullthrough/README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^\| ([a-zA-Z][\w.]*) \| [a-z]+ \| .* \|(.*)\|$`).FindAllStringSubmatch(string(readme), -1)
	if len(rows) == 0 {
		t.Fatal("charts/pullthrough/README.md: no values table")
	}
	for _, r := range rows {
		if strings.TrimSpace(r[2]) == "" {
			t.Errorf("charts/pullthrough/README.md: %s has no description (values.yaml: a \"# --\" comment helm-docs can read)", r[1])
		}
	}
}
