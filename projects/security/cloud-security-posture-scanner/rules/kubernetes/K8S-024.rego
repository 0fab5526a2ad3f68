# id: K8S-024
# title: Workloads do not run in the default namespace
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Workloads do not run in the default namespace. Deploy into a namespace of the team (labelled, with its own quotas and policies).
# severity: low
# remediation: Deploy into a namespace of the team (labelled, with its own quotas and policies).
# fix: metadata:
# fix:   namespace: shop
# checkov: CKV_K8S_21
# references: CIS Kubernetes 5.7.4; NIST CSF PR.AC-5
package posture.rules.k8s_024

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s runs in the default namespace", [r.address])} if {
	some r in lib.workloads
	object.get(r.config.metadata, "namespace", "default") == "default"
}
