# id: K8S-007
# title: Containers have a read-only root filesystem
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers have a read-only root filesystem. Set securityContext.readOnlyRootFilesystem: true; mount emptyDir where the app writes.
# severity: medium
# remediation: Set securityContext.readOnlyRootFilesystem: true; mount emptyDir where the app writes.
# fix: securityContext:
# fix:   readOnlyRootFilesystem: true
# checkov: CKV_K8S_22
# references: NIST CSF PR.DS-6
package posture.rules.k8s_007

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s has a writable root filesystem", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	not object.get(object.get(c, "securityContext", {}), "readOnlyRootFilesystem", false) == true
}
