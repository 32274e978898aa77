package migrate

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/internal/table"
)

// chartValue is one values path of a known chart that holds a registry
// prefix of images the chart renders.
type chartValue struct {
	// path is the dotted values path, e.g. global.hub.
	path string
	// kind limits the path to the rows of objects of this kind ("" any).
	kind string
	// drop is how many trailing path segments of a rendered image's name
	// are the chart's own (istio: "pilot" of docker.io/istio/pilot:1.22.0,
	// 1; ingress-nginx: "ingress-nginx/controller", 2): the rest is the
	// value. A row that holds a registry prefix itself (Istio's injector
	// values, an Installation's spec.registry) is the value as it is.
	drop int
}

// chartTable maps a chart's name (as helm.sh/chart names it) to the values
// paths that hold its images' registry.
type chartTable map[string][]chartValue

// knownCharts are the charts whose values pullthrough knows. The release's
// values (in its Secret, sh.helm.release.v1.NAME.vN) would say where any
// chart keeps an image, but reading Secrets is a right the migrator does
// not ask for: for any other chart --emit lists the images to change and
// leaves finding their values key to `helm get values`.
var knownCharts = func() chartTable {
	istio := []chartValue{{path: "global.hub", drop: 1}}
	return chartTable{
		// Istio's charts: every image is <global.hub>/<component>:<global.tag>,
		// and the injector's ConfigMap holds the hub itself.
		"base": istio, "istiod": istio, "istio-discovery": istio, "gateway": istio, "cni": istio, "ztunnel": istio,
		// Calico's operator chart: the operator's image is
		// <tigeraOperator.registry>/tigera/operator, and installation.registry
		// becomes the Installation's spec.registry (every Calico image).
		"tigera-operator": {
			{path: "tigeraOperator.registry", kind: "Deployment", drop: 2},
			{path: "installation.registry", kind: "Installation"},
		},
		// ingress-nginx: <controller.image.registry>/ingress-nginx/controller.
		"ingress-nginx": {{path: "controller.image.registry", kind: "Deployment", drop: 2}, {path: "controller.image.registry", kind: "DaemonSet", drop: 2}},
	}
}()

// paths are the values paths of chart that apply to an object of kind, in
// table order, each once; nil for a chart not in the table.
func (t chartTable) paths(chart, kind string) []string {
	var out []string
	for _, v := range t[chart] {
		if (v.kind == "" || v.kind == kind) && !slices.Contains(out, v.path) {
			out = append(out, v.path)
		}
	}
	return out
}

// value is the registry prefix a row gives path v, before (old) and after
// (new) the migration; ok is false when the row cannot be read that way
// (an image name shorter than the segments to drop). prefix says the row's
// value is a registry prefix already.
func (v chartValue) value(row Row, prefix bool) (old, new string, ok bool) {
	if prefix {
		return row.Old, row.New, true
	}
	old, ok = dropSegments(imageName(row.Old), v.drop)
	if !ok {
		return "", "", false
	}
	new, ok = dropSegments(imageName(row.New), v.drop)
	return old, new, ok
}

// dropSegments removes the last n "/" segments of name; ok is false when
// nothing would be left.
func dropSegments(name string, n int) (string, bool) {
	for range n {
		i := strings.LastIndexByte(name, '/')
		if i <= 0 {
			return "", false
		}
		name = name[:i]
	}
	return name, true
}

// imageName is an image reference as written without its tag and digest:
// what kustomize's images: entries match, and what a chart's registry
// values are a prefix of.
func imageName(ref string) string {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return ref
}

// valuesFile is the values to merge into a chart's: each known values path
// (knownCharts) with the new registry prefix the rows give it, and, as
// comments, every rewritten value no known path accounts for.
func valuesFile(m *Manager, items []*item) ([]byte, error) {
	type change struct{ old, new string }
	set := map[string]map[change][]string{} // path -> change -> where
	var unknown []string
	for _, it := range items {
		for _, r := range it.rewritten() {
			found := false
			for _, v := range knownCharts[m.Chart] {
				if v.kind != "" && v.kind != it.row.Kind {
					continue
				}
				old, new, ok := v.value(r, it.isPrefix(r.Path) || isTextPrefix(r))
				if !ok {
					continue
				}
				if set[v.path] == nil {
					set[v.path] = map[change][]string{}
				}
				c := change{old, new}
				set[v.path][c] = append(set[v.path][c], it.where(r))
				found = true
			}
			if !found {
				unknown = append(unknown, fmt.Sprintf("#   %s: %s -> %s", it.where(r), table.Cell(r.Old), table.Cell(r.New)))
			}
		}
	}
	var b strings.Builder
	b.WriteString(header(m, valuesWhere[m.Tool]))
	values := map[string]any{}
	for _, path := range slices.Sorted(maps.Keys(set)) {
		changes := slices.SortedFunc(maps.Keys(set[path]), func(a, b change) int { return cmp.Or(cmp.Compare(a.old, b.old), cmp.Compare(a.new, b.new)) })
		news := map[string]bool{}
		for _, c := range changes {
			news[c.new] = true
			fmt.Fprintf(&b, "#   %s: %s -> %s, for\n", path, table.Cell(c.old), table.Cell(c.new))
			for _, w := range slices.Sorted(slices.Values(set[path][c])) {
				fmt.Fprintf(&b, "#     %s\n", w)
			}
		}
		if len(news) > 1 {
			fmt.Fprintf(&b, "#   %s is left out: its images give it more than one value; set it by hand\n", path)
			continue
		}
		setDotted(values, path, changes[0].new)
	}
	if len(unknown) > 0 {
		b.WriteString("# Not in pullthrough's table of known charts: set the values key that holds each\n")
		if release := items[0].source.GetAnnotations(); release[annotationHelmRelease] != "" {
			fmt.Fprintf(&b, "# image (helm get values %s -n %s --all) to the new value:\n",
				table.Cell(release[annotationHelmRelease]), table.Cell(release[annotationHelmReleaseNS]))
		} else {
			b.WriteString("# image (the chart's values.yaml names them) to the new value:\n")
		}
		slices.Sort(unknown)
		b.WriteString(strings.Join(slices.Compact(unknown), "\n") + "\n")
	}
	if len(values) > 0 {
		out, err := yaml.Marshal(values)
		if err != nil {
			return nil, fmt.Errorf("--emit: values of %s: %w", m, err)
		}
		b.Write(out)
	}
	return []byte(b.String()), nil
}

// isTextPrefix reports whether a ConfigMap row holds a registry prefix (an
// explicit reference without a tag or digest, such as Istio's hub) rather
// than an image.
func isTextPrefix(r Row) bool {
	return strings.HasPrefix(r.Path, "/data/") && imageName(r.Old) == r.Old
}

// setDotted sets a dotted path in nested maps.
func setDotted(values map[string]any, path, value string) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := values[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			values[k] = next
		}
		values = next
	}
	values[keys[len(keys)-1]] = value
}
