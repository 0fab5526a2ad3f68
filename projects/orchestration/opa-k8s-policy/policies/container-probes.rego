# title: Containers have liveness and readiness probes
package admission.container_probes

import rego.v1

import data.lib.k8s

violation contains {"msg": msg} if {
	some c in k8s.app_containers
	some probe in ["livenessProbe", "readinessProbe"]
	not c[probe]
	msg := sprintf("[container-probes] %s: container %s has no %s", [k8s.name, c.name, probe])
}
