package podspec

import corev1 "k8s.io/api/core/v1"

// FromPodSpec is the part of a typed PodSpec that routing reads, for callers
// that hold pods from a typed client (verify, report, the e2e suite).
func FromPodSpec(spec *corev1.PodSpec) *Spec {
	s := &Spec{
		InitContainers:      make([]Container, len(spec.InitContainers)),
		Containers:          make([]Container, len(spec.Containers)),
		EphemeralContainers: make([]Container, len(spec.EphemeralContainers)),
		Volumes:             make([]Volume, len(spec.Volumes)),
	}
	for i, c := range spec.InitContainers {
		s.InitContainers[i] = Container{Name: c.Name, Image: c.Image}
	}
	for i, c := range spec.Containers {
		s.Containers[i] = Container{Name: c.Name, Image: c.Image}
	}
	for i, c := range spec.EphemeralContainers {
		s.EphemeralContainers[i] = Container{Name: c.Name, Image: c.Image}
	}
	for i, v := range spec.Volumes {
		s.Volumes[i] = Volume{Name: v.Name}
		if v.Image != nil {
			s.Volumes[i].Image = &VolumeImage{Reference: v.Image.Reference}
		}
	}
	return s
}
