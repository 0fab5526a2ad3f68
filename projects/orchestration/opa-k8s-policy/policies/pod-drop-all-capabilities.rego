# title: Containers drop ALL capabilities and add none
package admission.pod_drop_all_capabilities

import rego.v1

import data.lib.k8s

caps(c) := object.get(k8s.security(c), "capabilities", {})

violation contains {"msg": msg} if {
	some c in k8s.containers
	not "ALL" in object.get(caps(c), "drop", [])
	msg := sprintf("[pod-drop-all-capabilities] %s: container %s does not drop ALL capabilities", [k8s.name, c.name])
}

violation contains {"msg": msg} if {
	some c in k8s.containers
	some cap in object.get(caps(c), "add", [])
	msg := sprintf("[pod-drop-all-capabilities] %s: container %s adds capability %s", [k8s.name, c.name, cap])
}
