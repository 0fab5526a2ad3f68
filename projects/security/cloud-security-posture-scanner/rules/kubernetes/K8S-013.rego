# id: K8S-013
# title: Pods do not share the host's PID namespace
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Pods do not share the host's PID namespace. Remove hostPID: true.
# severity: high
# remediation: Remove hostPID: true.
# fix: hostPID: false
# checkov: CKV_K8S_17
# references: CIS Kubernetes 5.2.2; NIST CSF PR.AC-4
package posture.rules.k8s_013

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: hostPID is true", [r.address])} if {
	some r in lib.workloads
	lib.pod_spec(r).hostPID == true
}
