# id: K8S-012
# title: Pods do not share the host's Network namespace
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Pods do not share the host's Network namespace. Remove hostNetwork: true.
# severity: high
# remediation: Remove hostNetwork: true.
# fix: hostNetwork: false
# checkov: CKV_K8S_19
# references: CIS Kubernetes 5.2.4; NIST CSF PR.AC-4
package posture.rules.k8s_012

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: hostNetwork is true", [r.address])} if {
	some r in lib.workloads
	lib.pod_spec(r).hostNetwork == true
}
