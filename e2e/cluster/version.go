package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
)

// AdmissionPolicyMinor is the first Kubernetes minor that serves
// admissionregistration.k8s.io/v1 MutatingAdmissionPolicy (GA and on by
// default), which the policy engine needs and the chart's engine: policy
// checks for.
const AdmissionPolicyMinor = 36

// ServesAdmissionPolicies reports whether c's API server serves
// admissionregistration.k8s.io/v1 MutatingAdmissionPolicy, and fails t when
// the answer contradicts the server's version: 1.36 and later must serve it,
// older servers must not. A policy-engine test returns when it is false: on
// the oldest supported control plane (make test K8S_VERSION=...), that the
// API is absent is what the test holds, as the chart refuses engine: policy
// there.
func (c *Cluster) ServesAdmissionPolicies(t testing.TB) bool {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	info, err := dc.ServerVersion()
	if err != nil {
		t.Fatalf("the API server's version: %v", err)
	}
	minor, err := strconv.Atoi(strings.TrimSuffix(info.Minor, "+"))
	if err != nil {
		t.Fatalf("the API server's version %s: minor %q: %v", info.GitVersion, info.Minor, err)
	}
	served, err := servesResource(dc, "admissionregistration.k8s.io/v1", "mutatingadmissionpolicies")
	if err != nil {
		t.Fatal(err)
	}
	if want := minor >= AdmissionPolicyMinor; served != want {
		t.Fatalf("kube-apiserver %s serves admissionregistration.k8s.io/v1 MutatingAdmissionPolicy: %t, want %t (from 1.%d on)", info.GitVersion, served, want, AdmissionPolicyMinor)
	}
	if !served {
		t.Logf("kube-apiserver %s does not serve admissionregistration.k8s.io/v1 MutatingAdmissionPolicy (from 1.%d on): the policy engine is not available there, as expected", info.GitVersion, AdmissionPolicyMinor)
	}
	return served
}

// servesResource reports whether groupVersion lists resource in discovery.
func servesResource(dc discovery.DiscoveryInterface, groupVersion, resource string) (bool, error) {
	list, err := dc.ServerResourcesForGroupVersion(groupVersion)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("discovery of %s: %w", groupVersion, err)
	}
	return slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == resource }), nil
}
