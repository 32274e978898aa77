package migrate

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/internal/table"
	"github.com/pullthrough/pullthrough/rewrite"
	"github.com/pullthrough/pullthrough/wellknown"
)

// The files --emit writes in each unit's directory.
const (
	emitKustomization = "kustomization.yaml" // kustomize images: entries
	emitManifests     = "manifests.yaml"     // the objects as they should read
	emitValues        = "values.yaml"        // a chart's values
)

// Emit writes under dir, for every object of p that Argo CD, Flux or Helm
// manages and that has a value to change, the change to make at its source,
// one directory per unit (emitDir): a kustomize images: list and the
// objects' manifests as they should read for a Git source, a values file
// for a chart. It returns the files written, relative to dir, in order.
// Nothing is written for an unmanaged object: the plan patches those.
func (p *Plan) Emit(dir string) ([]string, error) {
	files, err := sourceChanges(p.items)
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("--emit: %w", err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return nil, fmt.Errorf("--emit: %w", err)
		}
	}
	return names, nil
}

// unitChanges are the changes of one unit's objects, split by how their
// source holds them.
type unitChanges struct {
	manager *Manager
	charted []*item // rendered from a chart: values.yaml
	plain   []*item // kustomize or plain YAML: kustomization.yaml, manifests.yaml
}

// sourceChanges renders the files of Emit: slash-separated path -> content.
func sourceChanges(items []*item) (map[string][]byte, error) {
	units := map[string]*unitChanges{}
	for _, it := range items {
		if it.row.Manager == nil || len(it.edits) == 0 {
			continue
		}
		dir := emitDir(it.row.Manager)
		u := units[dir]
		if u == nil {
			u = &unitChanges{manager: it.row.Manager}
			units[dir] = u
		}
		if fromChart(it) {
			u.charted = append(u.charted, it)
		} else {
			u.plain = append(u.plain, it)
		}
	}
	files := map[string][]byte{}
	for dir, u := range units {
		var err error
		if len(u.charted) > 0 {
			if files[dir+"/"+emitValues], err = valuesFile(u.manager, u.charted); err != nil {
				return nil, err
			}
		}
		if len(u.plain) > 0 {
			if files[dir+"/"+emitKustomization], err = kustomizationFile(u.manager, u.plain); err != nil {
				return nil, err
			}
			if files[dir+"/"+emitManifests], err = manifestsFile(u.manager, u.plain); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

// emitDir is the directory of a unit's files: argocd/APP,
// flux/kustomization/NS/NAME, flux/helmrelease/NS/NAME or helm/NS/RELEASE.
func emitDir(m *Manager) string {
	switch m.Tool {
	case ToolArgoCD:
		return "argocd/" + pathSegment(m.Name)
	case ToolFlux:
		return "flux/" + strings.ToLower(m.Kind) + "/" + pathSegment(m.Namespace) + "/" + pathSegment(m.Name)
	default:
		return "helm/" + pathSegment(m.Namespace) + "/" + pathSegment(m.Name)
	}
}

// pathSegment makes a name one safe path segment: a tracking id is free
// text, and "..", "/" or an empty name must not lead out of the directory.
func pathSegment(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
	if strings.Trim(s, ".") == "" {
		return "_" + s
	}
	return s
}

// fromChart reports whether an object's images are a chart's values: a
// Helm release's and a Flux HelmRelease's always, an Argo CD
// Application's when a chart's labels say it rendered the object.
func fromChart(it *item) bool {
	m := it.row.Manager
	return m.Tool == ToolHelm || m.Kind == unitHelmRelease || m.Chart != "" ||
		it.source.GetLabels()[labelManagedBy] == managedByHelm
}

// rewritten returns an item's rows whose value the migration changes.
func (it *item) rewritten() []Row {
	return slices.DeleteFunc(slices.Clone(it.row.Rows), func(r Row) bool { return r.Outcome != rewrite.OutcomeRewritten })
}

// where names a row of an item in a comment.
func (it *item) where(r Row) string {
	return table.Cell(it.row.Kind + " " + objectName(&it.row) + " " + r.Field)
}

// Where each tool takes the change, by Manager.Tool.
var (
	valuesWhere = map[string]string{
		ToolHelm:   "Merge into the release's values: helm upgrade --reuse-values -f values.yaml.",
		ToolFlux:   "Merge into the HelmRelease's spec.values (or its valuesFrom), in its source.",
		ToolArgoCD: "Merge into the Application's spec.source.helm.valuesObject (or its values files).",
	}
	imagesWhere = map[string]string{
		ToolFlux:   "or the Kustomization's spec.images",
		ToolArgoCD: "or the Application's spec.source.kustomize.images",
	}
)

// header is the comment that opens every file of a unit.
func header(m *Manager, lines ...string) string {
	chart := ""
	if m.Chart != "" {
		chart = " (chart " + table.Cell(m.Chart) + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# pullthrough migrate --emit: %s%s.\n", table.Cell(m.String()), chart)
	for _, l := range lines {
		b.WriteString("# " + l + "\n")
	}
	return b.String()
}

// kustomizationFile is kustomize's images: entries for the container images
// of a unit's objects: each name as written gets the new name, and keeps
// the tag and digest it is written with, as the rewrite does. Values an
// entry cannot reach (an image volume, an ephemeral container, ConfigMap
// data, a custom resource's field) are listed for manifests.yaml.
func kustomizationFile(m *Manager, items []*item) ([]byte, error) {
	names := map[string]map[string]bool{} // old name -> new names
	var uncovered []string
	for _, it := range items {
		for _, r := range it.rewritten() {
			if !containerImage(r.Path) {
				uncovered = append(uncovered, fmt.Sprintf("#   %s: %s -> %s", it.where(r), table.Cell(r.Old), table.Cell(r.New)))
				continue
			}
			old := imageName(r.Old)
			if names[old] == nil {
				names[old] = map[string]bool{}
			}
			names[old][imageName(r.New)] = true
		}
	}
	var b strings.Builder
	b.WriteString(header(m,
		"A kustomize source: merge these entries into the images: list of its kustomization.yaml",
		"("+imagesWhere[m.Tool]+"); where an entry for the same name is there already,",
		"change its newName instead. Plain YAML: change the files as manifests.yaml shows",
		"(pullthrough rewrite -f does it)."))
	entries := []map[string]string{} // "images: []" rather than null when every name is left out
	for _, old := range slices.Sorted(maps.Keys(names)) {
		if len(names[old]) > 1 {
			fmt.Fprintf(&b, "# %s is left out: its tags go to different names (%s); change it in the manifests\n",
				table.Cell(old), strings.Join(slices.Sorted(maps.Keys(names[old])), ", "))
			continue
		}
		for n := range names[old] {
			entries = append(entries, map[string]string{"name": old, "newName": n})
		}
	}
	if len(uncovered) > 0 {
		b.WriteString("# Not reached by an images: entry (kustomize changes containers' and initContainers'\n# images only): change these as manifests.yaml shows.\n")
		slices.Sort(uncovered)
		b.WriteString(strings.Join(uncovered, "\n") + "\n")
	}
	out, err := yaml.Marshal(map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "images": entries,
	})
	if err != nil {
		return nil, fmt.Errorf("--emit: images of %s: %w", m, err)
	}
	b.Write(out)
	return []byte(b.String()), nil
}

// containerImage reports whether a JSON pointer names a container's or an
// init container's image, which kustomize's images: entries rewrite
// wherever they are in an object.
func containerImage(path string) bool {
	return strings.HasSuffix(path, "/image") && (strings.Contains(path, "/containers/") || strings.Contains(path, "/initContainers/"))
}

// manifestsFile is every object of a unit as it should read once migrated:
// as the cluster serves it, less what the API server and controllers write
// (status, metadata the server keeps, the migrator's own record), with the
// migration's values: the values `pullthrough rewrite -f` would write.
func manifestsFile(m *Manager, items []*item) ([]byte, error) {
	slices.SortFunc(items, func(a, b *item) int {
		return cmp.Or(cmp.Compare(a.row.Kind, b.row.Kind), cmp.Compare(a.row.Namespace, b.row.Namespace), cmp.Compare(a.row.Name, b.row.Name))
	})
	var b strings.Builder
	b.WriteString(header(m,
		"The objects as the cluster serves them (server defaults included), with the images",
		"the migration gives them: change the same values in the files of the source."))
	for i, it := range items {
		u := cleaned(it.source)
		for _, e := range it.edits {
			if err := setString(u.Object, e.path, e.new); err != nil {
				return nil, fmt.Errorf("--emit: %s %s: %w", it.row.Kind, objectName(&it.row), err)
			}
		}
		out, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, fmt.Errorf("--emit: %s %s: %w", it.row.Kind, objectName(&it.row), err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(out)
	}
	return []byte(b.String()), nil
}

// serverAnnotationKeys are annotations the API server, kubectl or a
// controller writes, never a source.
var serverAnnotationKeys = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
	"deprecated.daemonset.template.generation",
	wellknown.AnnotationMigratedImages,
}

// cleaned is a copy of u without what no source holds.
func cleaned(u *unstructured.Unstructured) *unstructured.Unstructured {
	c := u.DeepCopy()
	delete(c.Object, "status")
	for _, f := range []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink", "ownerReferences"} {
		unstructured.RemoveNestedField(c.Object, "metadata", f)
	}
	annotations := c.GetAnnotations()
	for _, k := range serverAnnotationKeys {
		delete(annotations, k)
	}
	if len(annotations) == 0 {
		annotations = nil // no empty map left behind
	}
	c.SetAnnotations(annotations)
	return c
}
