# id: K8S-006
# title: Containers cannot escalate privileges
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers cannot escalate privileges. Set securityContext.allowPrivilegeEscalation: false.
# severity: high
# remediation: Set securityContext.allowPrivilegeEscalation: false.
# fix: securityContext:
# fix:   allowPrivilegeEscalation: false
# checkov: CKV_K8S_20
# references: CIS Kubernetes 5.2.5; NIST CSF PR.AC-4
package posture.rules.k8s_006

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s may escalate privileges", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	not object.get(object.get(c, "securityContext", {}), "allowPrivilegeEscalation", true) == false
}
