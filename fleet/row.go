package fleet

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/pullthrough/pullthrough/internal/namespaces"
	"github.com/pullthrough/pullthrough/podspec"
	"github.com/pullthrough/pullthrough/rewrite"
)

// Row is one image reference of one pod in one cluster, as
// `pullthrough report -o json` writes it.
type Row struct {
	// Cluster is the kubeconfig context the pod was listed through.
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
	// Owner is the pod's top controller as Kind/name, or Pod/name.
	Owner string `json:"owner"`
	Pod   string `json:"pod"`
	// Container is the entry's label (podspec.Change.Label): "app",
	// "init:setup", "ephemeral:debug", "volume:models".
	Container string `json:"container"`
	Image     string `json:"image"`
	// Registry is the canonical registry the reference pulls from (docker.io
	// for "nginx"); "" for an unparseable one.
	Registry string          `json:"registry"`
	Outcome  rewrite.Outcome `json:"outcome"`
	// PullFailure is, for a reference that pulls through the proxy (outcome
	// already-proxied: the webhook rewrote it, or it was written so), the
	// kubelet's reason while its container waits on a pull that failed:
	// ErrImagePull or ImagePullBackOff.
	PullFailure string `json:"pullFailure,omitempty"`
	// Error is set on the one row of a cluster that could not be listed;
	// the other fields but Cluster are then empty.
	Error string `json:"error,omitempty"`
}

// Judge decides pods' references with one config's routing.
type Judge struct {
	// Rewriter routes in enforce mode, whatever the config's mode: the
	// report asks what enforce would move.
	Rewriter *rewrite.Rewriter
	// NamespaceExcluded reports a namespace exclude.namespaces names.
	NamespaceExcluded func(namespace string) bool
	// Scoped is set when some mirror applies only in some namespaces
	// (config.Config.Scoped): Collect then reads each cluster's namespace
	// labels and routes each pod in its namespace.
	Scoped bool
	// labels are the namespaces' labels of the cluster being collected.
	labels map[string]map[string]string
}

// PodRows returns a row per image reference of pod, in podspec's order.
func (j Judge) PodRows(cluster, owner string, pod *corev1.Pod) []Row {
	optedOut := podspec.OptedOut(pod.Labels, pod.Annotations)
	rw := j.Rewriter
	if j.Scoped {
		labels, ok := j.labels[pod.Namespace]
		if !ok {
			labels = namespaces.LabelsOf(pod.Namespace, nil)
		}
		rw = rw.In(pod.Namespace, labels)
	}
	changes := podspec.DecidePod(rw, podspec.FromPodSpec(&pod.Spec), optedOut, j.NamespaceExcluded(pod.Namespace))
	failing := pullFailures(pod)
	rows := make([]Row, 0, len(changes))
	for _, c := range changes {
		r := Row{
			Cluster: cluster, Namespace: pod.Namespace, Owner: owner, Pod: pod.Name,
			Container: c.Label(), Image: c.Old, Registry: rewrite.RegistryOf(c.Old), Outcome: c.Outcome,
		}
		if c.Outcome == rewrite.OutcomeAlreadyProxied && c.Field != podspec.FieldVolumes {
			r.PullFailure = failing[c.Name]
		}
		rows = append(rows, r)
	}
	return rows
}

// The kubelet's reasons for a container waiting on a pull that failed
// (pkg/kubelet/images): the pull failed, and the back-off before the next.
const (
	waitingErrImagePull     = "ErrImagePull"
	waitingImagePullBackOff = "ImagePullBackOff"
)

// pullFailures maps the names of pod's containers (names are unique across
// the init, app and ephemeral lists) that wait on a failed pull to the
// kubelet's reason. An image volume that cannot be pulled shows in no
// container status; it is not listed.
func pullFailures(pod *corev1.Pod) map[string]string {
	failing := map[string]string{}
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, s := range list {
			if w := s.State.Waiting; w != nil && (w.Reason == waitingErrImagePull || w.Reason == waitingImagePullBackOff) {
				failing[s.Name] = w.Reason
			}
		}
	}
	return failing
}
