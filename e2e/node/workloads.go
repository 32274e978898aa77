package node

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/e2e/registry"
)

// Container is a container of a runnable image (package e2e/registry's
// sleeper), pulled at every start (imagePullPolicy Always, as many charts set);
// args "exit" make it exit at once, as an init container.
func Container(name, image string, args ...string) corev1.Container {
	return corev1.Container{Name: name, Image: image, Args: args, ImagePullPolicy: corev1.PullAlways}
}

// PodSpec is a host-network pod (the node has only loopback) that stops fast.
func PodSpec(containers ...corev1.Container) corev1.PodSpec {
	grace := int64(1)
	return corev1.PodSpec{HostNetwork: true, TerminationGracePeriodSeconds: &grace, Containers: containers}
}

// CreatePod creates a pod.
func (l *Lab) CreatePod(ctx context.Context, ns, name string, spec corev1.PodSpec) error {
	_, err := l.CS.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}, metav1.CreateOptions{})
	return err
}

func template(name string, spec corev1.PodSpec) (*metav1.LabelSelector, corev1.PodTemplateSpec) {
	labels := map[string]string{"app": name}
	return &metav1.LabelSelector{MatchLabels: labels}, corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
}

// CreateDeployment creates a Deployment of replicas pods of spec.
func (l *Lab) CreateDeployment(ctx context.Context, ns, name string, replicas int32, spec corev1.PodSpec) error {
	selector, tmpl := template(name, spec)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: selector, Template: tmpl}}
	_, err := l.CS.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
	return err
}

// CreateDaemonSet creates a DaemonSet of spec.
func (l *Lab) CreateDaemonSet(ctx context.Context, ns, name string, spec corev1.PodSpec) error {
	selector, tmpl := template(name, spec)
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DaemonSetSpec{Selector: selector, Template: tmpl}}
	_, err := l.CS.AppsV1().DaemonSets(ns).Create(ctx, ds, metav1.CreateOptions{})
	return err
}

// IncidentImages are the Calico-like rollout of the incident, from Docker Hub.
var IncidentImages = []string{"docker.io/calico/cni:v3.28.0", "docker.io/calico/pod2daemon-flexvol:v3.28.0",
	"docker.io/calico/node:v3.28.0", "docker.io/calico/kube-controllers:v3.28.0"}

// The incident's scale: Docker Hub counts anonymous pulls per address (100 per
// 6 hours per IPv4 address), and a fleet's nodes share their NAT gateway's; here
// 6 per hour, of which the rest of the fleet has spent 4 before the rollout.
const (
	incidentPulls = 6
	incidentSpent = 4
	incidentPods  = 3 // the DaemonSet's pod and two controllers
)

// Incident is what the incident's rollout did without pullthrough (a namespace
// in mode off) and with it, on a fresh node.
type Incident struct {
	// Without pullthrough: the pulls Docker Hub refused with 429, the kubelet's
	// failed-pull messages, the manifest GETs the node sent Docker Hub.
	Refused    int
	Failures   []string
	DirectGETs int
	// With pullthrough: pods Running, the manifest GETs the proxy sent Docker
	// Hub, the pulls of the proxy Docker Hub refused, and whatever the node still
	// sent Docker Hub directly (want nothing).
	Running      int
	ProxyGETs    int
	ProxyRefused int
	DirectWith   map[string]registry.Counts
}

// RunIncident rolls the Calico-like DaemonSet and Deployment out in namespace
// without (mode off) until a pull fails, then in with (enforce) until every pod
// runs, with Docker Hub's limit in force, and lifts the limit after.
func (l *Lab) RunIncident(ctx context.Context, without, with string) (Incident, error) {
	var inc Incident
	if err := l.Seed(ctx, IncidentImages...); err != nil {
		return inc, err
	}
	hub := l.Set.Upstream("docker.io")
	hub.SetPullLimit(registry.PullLimit{Pulls: incidentPulls, Window: time.Hour})
	defer hub.SetPullLimit(registry.PullLimit{})
	hub.SpendPulls(registry.NodeAddr, incidentSpent)
	rollout := func(ns string, mode config.Mode, secret bool) error {
		if err := l.Namespace(ctx, ns, mode, secret); err != nil {
			return err
		}
		ds := PodSpec(Container("calico-node", IncidentImages[2]))
		ds.InitContainers = []corev1.Container{Container("install-cni", IncidentImages[0], "exit"), Container("flexvol-driver", IncidentImages[1], "exit")}
		if err := l.CreateDaemonSet(ctx, ns, "calico-node", ds); err != nil {
			return err
		}
		return l.CreateDeployment(ctx, ns, "calico-kube-controllers", incidentPods-1, PodSpec(Container("calico-kube-controllers", IncidentImages[3])))
	}

	before := l.Counts()
	if err := rollout(without, config.ModeOff, false); err != nil {
		return inc, err
	}
	var err error
	if inc.Failures, err = l.WaitPullFailure(ctx, without); err != nil {
		return inc, err
	}
	inc.Refused, inc.DirectGETs = hub.Limited(registry.NodeAddr), l.Counts().DirectGETs(before, "docker.io")
	// Its pods would retry for ever; the rollout with pullthrough needs the node.
	if err := l.CS.CoreV1().Namespaces().Delete(ctx, without, metav1.DeleteOptions{}); err != nil {
		return inc, fmt.Errorf("deleting %s: %w", without, err)
	}

	before = l.Counts()
	if err := rollout(with, "", true); err != nil {
		return inc, err
	}
	pods, err := l.WaitRunning(ctx, with, incidentPods)
	if err != nil {
		return inc, err
	}
	after := l.Counts()
	inc.Running, inc.ProxyGETs, inc.ProxyRefused = len(pods), after.ProxyGETs(before, "docker.io"), hub.Limited("127.0.0.1")
	inc.DirectWith = after.Direct(before)
	return inc, nil
}
