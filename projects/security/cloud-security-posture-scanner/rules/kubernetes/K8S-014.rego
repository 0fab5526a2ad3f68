# id: K8S-014
# title: Pods do not share the host's IPC namespace
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Pods do not share the host's IPC namespace. Remove hostIPC: true.
# severity: high
# remediation: Remove hostIPC: true.
# fix: hostIPC: false
# checkov: CKV_K8S_18
# references: CIS Kubernetes 5.2.3; NIST CSF PR.AC-4
package posture.rules.k8s_014

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: hostIPC is true", [r.address])} if {
	some r in lib.workloads
	lib.pod_spec(r).hostIPC == true
}
