# id: K8S-009
# title: Containers drop ALL capabilities
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers drop ALL capabilities. Set securityContext.capabilities.drop: [ALL].
# severity: medium
# remediation: Set securityContext.capabilities.drop: [ALL].
# fix: capabilities:
# fix:   drop: [ALL]
# checkov: CKV_K8S_37
# references: CIS Kubernetes 5.2.9; NIST CSF PR.AC-4
package posture.rules.k8s_009

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s does not drop ALL capabilities", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	not "ALL" in object.get(object.get(object.get(c, "securityContext", {}), "capabilities", {}), "drop", [])
}
