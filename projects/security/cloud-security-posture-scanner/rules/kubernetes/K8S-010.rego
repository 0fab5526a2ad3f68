# id: K8S-010
# title: Containers add no capabilities
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers add no capabilities. Remove capabilities.add; grant what is needed another way.
# severity: high
# remediation: Remove capabilities.add; grant what is needed another way.
# fix: capabilities:
# fix:   drop: [ALL]
# checkov: CKV_K8S_39
# references: CIS Kubernetes 5.2.8; NIST CSF PR.AC-4
package posture.rules.k8s_010

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s adds %s", [r.address, c.name, cap])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	some cap in object.get(object.get(object.get(c, "securityContext", {}), "capabilities", {}), "add", [])
}
