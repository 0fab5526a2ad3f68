# id: K8S-008
# title: Containers run as non-root
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers run as non-root. Set runAsNonRoot: true on the pod or every container.
# severity: high
# remediation: Set runAsNonRoot: true on the pod or every container.
# fix: securityContext:
# fix:   runAsNonRoot: true
# checkov: CKV_K8S_23
# references: CIS Kubernetes 5.2.6; NIST CSF PR.AC-4
package posture.rules.k8s_008

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s may run as root", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	not non_root(r, c)
}

non_root(_, c) if c.securityContext.runAsNonRoot == true

non_root(r, c) if {
	lib.pod_spec(r).securityContext.runAsNonRoot == true
	not object.get(object.get(c, "securityContext", {}), "runAsNonRoot", true) == false
}
