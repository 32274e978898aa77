package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CreateNodes adds n Node objects that look Ready and schedulable, without taints, so
// that the DaemonSet controller creates one Pod per Node; no kubelet backs them, so
// the Pods stay Pending. It returns the generated names.
func (c *Cluster) CreateNodes(ctx context.Context, n int) ([]string, error) {
	names := make([]string, 0, n)
	for range n {
		node := fakeNode()
		if err := c.client.Create(ctx, node); err != nil {
			return names, fmt.Errorf("creating node %d of %d: %w", len(names)+1, n, err)
		}
		// The TaintNodesByCondition admission plugin taints every new Node
		// not-ready:NoSchedule, which DaemonSet Pods do not tolerate; the node
		// lifecycle controller would lift it, but without kubelets it would soon mark
		// the Nodes NotReady instead. So lift it here: the plugin acts on create only.
		node.Spec.Taints = nil
		if err := c.client.Update(ctx, node); err != nil {
			return names, fmt.Errorf("removing the not-ready taint from node %s: %w", node.Name, err)
		}
		names = append(names, node.Name)
	}
	return names, nil
}

// fakeNode is a Node as a healthy kubelet would register it; the status is kept on
// create (there is no node lifecycle controller to mark it NotReady later).
func fakeNode() *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-node-"},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			Conditions: []corev1.NodeCondition{{
				Type:               corev1.NodeReady,
				Status:             corev1.ConditionTrue,
				Reason:             "KubeletReady",
				LastHeartbeatTime:  metav1.Now(),
				LastTransitionTime: metav1.Now(),
			}},
		},
	}
}
