package rewrite

// PodSpecPath is where a kind keeps its pod spec, as JSON field names from
// the object's root. The CLI's manifest rewriting and the migrator both walk
// objects by it, so the two always agree on which kinds carry images.
func PodSpecPath(kind string) ([]string, bool) {
	p, ok := podSpecPaths[kind]
	return p, ok
}

var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"PodTemplate":           {"template", "spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}
