# id: K8S-016
# title: Containers request memory
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers request memory. Set resources.requests.memory.
# severity: low
# remediation: Set resources.requests.memory.
# fix: resources:
# fix:   requests:
# fix:     memory: 64Mi
# checkov: CKV_K8S_12
# references: CIS Kubernetes 5.7; NIST CSF PR.DS-4
package posture.rules.k8s_016

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s requests no memory", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	not c.resources.requests.memory
}
