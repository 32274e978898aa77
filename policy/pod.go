package policy

import (
	"fmt"
	"strings"

	"github.com/pullthrough/pullthrough/podspec"
)

// A slot is one place the kubelet pulls an image from, as the CEL sees it:
// key is its name in the original-images annotation (the container's name,
// or "volume:" and the volume's name), path its JSON pointer, image the
// reference written there.

// slotsExpr lists every slot of object whose image this request sets, in
// podspec.ContainerFields order and then image volumes: on UPDATE (of the pod
// or of pods/ephemeralcontainers) an image the old pod already had in the
// same place is left out, as the webhook leaves it, so that an unrelated
// change never restarts a container.
func slotsExpr() string {
	var parts []string
	for _, field := range podspec.ContainerFields {
		parts = append(parts, fmt.Sprintf(
			"(has(object.spec.%[1]s) ? object.spec.%[1]s.transformList(i, c, has(c.image) && (oldObject == null || !(has(oldObject.spec.%[1]s) && oldObject.spec.%[1]s.exists(o, o.name == c.name && has(o.image) && o.image == c.image))), {'key': string(c.name), 'path': '/spec/%[1]s/' + string(i) + '/image', 'image': string(c.image)}) : [])",
			field))
	}
	parts = append(parts,
		"(has(object.spec.volumes) ? object.spec.volumes.transformList(i, v, has(v.image) && has(v.image.reference) && (oldObject == null || !(has(oldObject.spec.volumes) && oldObject.spec.volumes.exists(o, o.name == v.name && has(o.image) && has(o.image.reference) && o.image.reference == v.image.reference))), {'key': '"+volumeKeyPrefix+"' + string(v.name), 'path': '/spec/volumes/' + string(i) + '/image/reference', 'image': string(v.image.reference)}) : [])")
	return strings.Join(parts, "\n+ ")
}

// volumeKeyPrefix marks an image volume in the annotations and warnings:
// container names are DNS labels and cannot hold ':', so no key collides.
const volumeKeyPrefix = "volume:"
