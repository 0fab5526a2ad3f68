# title: Containers run as a non-root user (runAsNonRoot on the pod or the container)
package admission.pod_run_as_non_root

import rego.v1

import data.lib.k8s

non_root(c) if k8s.security(c).runAsNonRoot == true

non_root(c) if {
	k8s.pod_security.runAsNonRoot == true
	not k8s.security(c).runAsNonRoot == false
}

violation contains {"msg": msg} if {
	some c in k8s.containers
	not non_root(c)
	msg := sprintf("[pod-run-as-non-root] %s: container %s may run as root: set securityContext.runAsNonRoot: true", [k8s.name, c.name])
}

violation contains {"msg": msg} if {
	some c in k8s.containers
	uid := object.get(k8s.security(c), "runAsUser", object.get(k8s.pod_security, "runAsUser", 1))
	uid == 0
	msg := sprintf("[pod-run-as-non-root] %s: container %s runs as user 0", [k8s.name, c.name])
}
