# title: Images are pinned by digest, never latest
package admission.image_pinned_digest

import rego.v1

import data.lib.k8s

untagged(image) if {
	not contains(image, "@")
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}

violation contains {"msg": msg} if {
	some c in k8s.containers
	not contains(c.image, "@sha256:")
	not endswith(c.image, ":latest")
	not untagged(c.image)
	msg := sprintf("[image-pinned-digest] %s: container %s image %s is not pinned by digest (@sha256:…)", [k8s.name, c.name, c.image])
}

violation contains {"msg": msg} if {
	some c in k8s.containers
	not contains(c.image, "@sha256:")
	endswith(c.image, ":latest")
	msg := sprintf("[image-pinned-digest] %s: container %s uses the latest tag (%s): pin the image by digest", [k8s.name, c.name, c.image])
}

violation contains {"msg": msg} if {
	some c in k8s.containers
	untagged(c.image)
	msg := sprintf("[image-pinned-digest] %s: container %s image %s has no tag, which means latest: pin it by digest", [k8s.name, c.name, c.image])
}
