# id: K8S-019
# title: Pods do not mount a service account token they do not use
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Pods do not mount a service account token they do not use. Set automountServiceAccountToken: false unless the pod calls the Kubernetes API.
# severity: low
# remediation: Set automountServiceAccountToken: false unless the pod calls the Kubernetes API.
# fix: automountServiceAccountToken: false
# checkov: CKV_K8S_38
# references: CIS Kubernetes 5.1.6; NIST CSF PR.AC-4
package posture.rules.k8s_019

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s mounts a service account token", [r.address])} if {
	some r in lib.workloads
	not lib.pod_spec(r).automountServiceAccountToken == false
}
