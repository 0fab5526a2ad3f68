# id: K8S-017
# title: Long-running containers have a livenessProbe
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Long-running containers have a livenessProbe. Add a livenessProbe.
# severity: low
# remediation: Add a livenessProbe.
# fix: livenessProbe:
# fix:   httpGet:
# fix:     path: /healthz
# fix:     port: http
# checkov: CKV_K8S_8
# references: NIST CSF PR.PT-5
package posture.rules.k8s_017

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s has no livenessProbe", [r.address, c.name])} if {
	some r in lib.workloads
	r.type != "Job"
	r.type != "CronJob"
	some c in object.get(lib.pod_spec(r), "containers", [])
	not c.livenessProbe
}
