# id: K8S-021
# title: Containers do not run as user 0
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers do not run as user 0. Set runAsUser to a non-zero uid (e.g. 65532).
# severity: high
# remediation: Set runAsUser to a non-zero uid (e.g. 65532).
# fix: securityContext:
# fix:   runAsUser: 65532
# checkov: CKV_K8S_40
# references: CIS Kubernetes 5.2.6; NIST CSF PR.AC-4
package posture.rules.k8s_021

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s runs as user 0", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	object.get(object.get(c, "securityContext", {}), "runAsUser", 1) == 0
}
