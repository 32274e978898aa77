package fleet

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func meta(namespace, name string, controller ...string) *metav1.ObjectMeta {
	m := &metav1.ObjectMeta{Namespace: namespace, Name: name}
	if len(controller) == 2 {
		yes := true
		m.OwnerReferences = []metav1.OwnerReference{
			{Kind: "ConfigMap", Name: "not-a-controller", UID: types.UID("x")},
			{Kind: controller[0], Name: controller[1], Controller: &yes},
		}
	}
	return m
}

func TestOwnersTop(t *testing.T) {
	t.Parallel()
	owners := Owners{}
	owners.Add("ReplicaSet", meta("shop", "web-5d9c", "Deployment", "web"))
	owners.Add("Job", meta("batch", "nightly-1", "CronJob", "nightly"))
	owners.Add("ReplicaSet", meta("shop", "orphan-1")) // no controller: not recorded
	owners.Add("ReplicaSet", meta("loop", "a", "ReplicaSet", "b"))
	owners.Add("ReplicaSet", meta("loop", "b", "ReplicaSet", "a"))
	for _, tc := range []struct {
		name string
		pod  *metav1.ObjectMeta
		want string
	}{
		// The usual chain: Pod -> ReplicaSet -> Deployment.
		{"deployment", meta("shop", "web-5d9c-a", "ReplicaSet", "web-5d9c"), "Deployment/web"},
		// Pod -> Job -> CronJob.
		{"cronjob", meta("batch", "nightly-1-x", "Job", "nightly-1"), "CronJob/nightly"},
		// A ReplicaSet of the same name in another namespace is not this one.
		{"other namespace", meta("other", "web-5d9c-a", "ReplicaSet", "web-5d9c"), "ReplicaSet/web-5d9c"},
		// A ReplicaSet nobody controls is the top.
		{"bare replicaset", meta("shop", "orphan-1-a", "ReplicaSet", "orphan-1"), "ReplicaSet/orphan-1"},
		// Kinds that are not listed are tops: DaemonSets, StatefulSets, operators' kinds.
		{"daemonset", meta("kube-system", "calico-node-x", "DaemonSet", "calico-node"), "DaemonSet/calico-node"},
		// Owner references that are not controllers do not count.
		{"bare pod", meta("shop", "debug"), "Pod/debug"},
		// A cycle written by hand ends after maxOwnerDepth steps rather than looping.
		{"cycle", meta("loop", "p", "ReplicaSet", "a"), "ReplicaSet/a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := owners.Top(tc.pod); got != tc.want {
				t.Errorf("Top = %s, want %s", got, tc.want)
			}
		})
	}
}
