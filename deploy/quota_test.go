package deploy

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// TestCriticalPodsQuota checks every rendered variant: a Deployment of a
// critical priority class outside kube-system comes with a ResourceQuota
// scoped to that class in its namespace, room for its replicas and a
// rollout's surge (GKE refuses such pods where no quota covers the class).
func TestCriticalPodsQuota(t *testing.T) {
	t.Parallel()
	critical := []string{"system-cluster-critical", "system-node-critical"}
	for _, file := range renderedFiles(t) {
		objs := load(t, file)
		for _, dep := range all[*appsv1.Deployment](objs) {
			class := dep.Spec.Template.Spec.PriorityClassName
			if !slices.Contains(critical, class) || dep.Namespace == "kube-system" {
				continue
			}
			need := int64(ptr.Deref(dep.Spec.Replicas, 1))
			if s := dep.Spec.Strategy.RollingUpdate; s != nil && s.MaxSurge != nil {
				need += int64(s.MaxSurge.IntValue())
			}
			covered := slices.ContainsFunc(all[*corev1.ResourceQuota](objs), func(q *corev1.ResourceQuota) bool {
				pods := q.Spec.Hard[corev1.ResourcePods]
				return q.Namespace == dep.Namespace && q.Spec.ScopeSelector != nil &&
					slices.ContainsFunc(q.Spec.ScopeSelector.MatchExpressions, func(e corev1.ScopedResourceSelectorRequirement) bool {
						return e.ScopeName == corev1.ResourceQuotaScopePriorityClass && e.Operator == corev1.ScopeSelectorOpIn && slices.Contains(e.Values, class)
					}) && pods.Value() >= need
			})
			if !covered {
				t.Errorf("%s: Deployment %s/%s of priority class %s: no ResourceQuota in its namespace scoped to the class with room for %d pods", file, dep.Namespace, dep.Name, class, need)
			}
		}
	}
}
