# title: Pods use the RuntimeDefault seccomp profile
package admission.pod_seccomp_runtime_default

import rego.v1

import data.lib.k8s

profile(c) := k8s.security(c).seccompProfile.type

profile(c) := k8s.pod_security.seccompProfile.type if not k8s.security(c).seccompProfile

violation contains {"msg": msg} if {
	some c in k8s.containers
	not profile(c) == "RuntimeDefault"
	msg := sprintf("[pod-seccomp-runtime-default] %s: container %s has no RuntimeDefault seccomp profile: set securityContext.seccompProfile.type: RuntimeDefault", [k8s.name, c.name])
}
