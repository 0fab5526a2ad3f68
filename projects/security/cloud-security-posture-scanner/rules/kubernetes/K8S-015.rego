# id: K8S-015
# title: Containers request CPU
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers request CPU. Set resources.requests.cpu.
# severity: low
# remediation: Set resources.requests.cpu.
# fix: resources:
# fix:   requests:
# fix:     cpu: 100m
# checkov: CKV_K8S_10
# references: CIS Kubernetes 5.7; NIST CSF PR.DS-4
package posture.rules.k8s_015

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s requests no CPU", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	not c.resources.requests.cpu
}
