package nodeconfig

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pullthrough/pullthrough/config"
)

// TestDocsShowTheBottlerocketSettings: every block of docs/eks.md that sets
// settings.container-registry.mirrors is, line for line, part of what
// Bottlerocket prints for nodeconfig/testdata/layouts/harbor.yaml. The docs
// once showed a bare-host endpoint the generator never prints, with which
// pulls quietly went to Docker Hub.
func TestDocsShowTheBottlerocketSettings(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load("testdata/layouts/harbor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	settings, _, err := Bottlerocket(cfg)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/eks.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```[a-z]*\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	checked := 0
	for _, b := range blocks {
		lines := strings.Split(strings.TrimRight(b[1], "\n"), "\n")
		start := -1
		for i, l := range lines {
			if strings.Contains(l, "[[settings.container-registry.mirrors]]") {
				start = i
				break
			}
		}
		if start < 0 {
			continue
		}
		checked++
		indent := lines[start][:len(lines[start])-len(strings.TrimLeft(lines[start], " "))]
		var part []string
		for _, l := range lines[start:] {
			if !strings.HasPrefix(l, indent) {
				break
			}
			part = append(part, strings.TrimPrefix(l, indent))
		}
		if !strings.Contains(string(settings), strings.Join(part, "\n")+"\n") {
			t.Errorf("docs/eks.md shows\n%s\nwhich is not part of what -o bottlerocket prints:\n%s", strings.Join(part, "\n"), settings)
		}
	}
	if checked < 2 {
		t.Errorf("docs/eks.md: %d blocks with Bottlerocket mirrors, want the settings and the Karpenter user data", checked)
	}
}
