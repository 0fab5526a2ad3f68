# id: K8S-002
# title: Containers set a memory limit
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers set a memory limit. Set resources.limits.memory.
# severity: medium
# remediation: Set resources.limits.memory.
# fix: resources:
# fix:   limits:
# fix:     memory: 256Mi
# checkov: CKV_K8S_13
# references: CIS Kubernetes 5.7; NIST CSF PR.DS-4
package posture.rules.k8s_002

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s has no memory limit", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	not c.resources.limits.memory
}
