# title: Images come from a trusted registry (parameter registries)
package admission.image_trusted_registry

import rego.v1

import data.lib.k8s

trusted(image) if {
	some prefix in object.get(k8s.params, "registries", [])
	startswith(image, prefix)
}

violation contains {"msg": msg} if {
	some c in k8s.containers
	not trusted(c.image)
	msg := concat("", ["[image-trusted-registry] ", k8s.name, ": container ", c.name, " uses ", c.image, ", not from a trusted registry (", concat(", ", object.get(k8s.params, "registries", [])), ")"])
}
