# title: Containers are not privileged and cannot escalate privileges
package admission.pod_no_privilege_escalation

import rego.v1

import data.lib.k8s

violation contains {"msg": msg} if {
	some c in k8s.containers
	k8s.security(c).privileged == true
	msg := sprintf("[pod-no-privilege-escalation] %s: container %s is privileged", [k8s.name, c.name])
}

violation contains {"msg": msg} if {
	some c in k8s.containers
	not k8s.security(c).allowPrivilegeEscalation == false
	msg := sprintf("[pod-no-privilege-escalation] %s: container %s may escalate privileges: set securityContext.allowPrivilegeEscalation: false", [k8s.name, c.name])
}
