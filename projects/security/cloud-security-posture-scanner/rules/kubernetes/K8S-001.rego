# id: K8S-001
# title: Containers are not privileged
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers are not privileged. Remove privileged: true.
# severity: critical
# remediation: Remove privileged: true.
# fix: securityContext:
# fix:   privileged: false
# checkov: CKV_K8S_16
# references: CIS Kubernetes 5.2.1; NIST CSF PR.AC-4
package posture.rules.k8s_001

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s is privileged", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	c.securityContext.privileged == true
}
