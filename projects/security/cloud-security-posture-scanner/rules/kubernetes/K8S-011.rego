# id: K8S-011
# title: Pods use the RuntimeDefault seccomp profile
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Pods use the RuntimeDefault seccomp profile. Set securityContext.seccompProfile.type: RuntimeDefault.
# severity: medium
# remediation: Set securityContext.seccompProfile.type: RuntimeDefault.
# fix: securityContext:
# fix:   seccompProfile:
# fix:     type: RuntimeDefault
# checkov: CKV_K8S_31
# references: CIS Kubernetes 5.7.2; NIST CSF PR.PT-3
package posture.rules.k8s_011

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s has no RuntimeDefault seccomp profile", [r.address, c.name])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	not profile(r, c) in {"RuntimeDefault", "Localhost"}
}

profile(_, c) := c.securityContext.seccompProfile.type

profile(r, c) := lib.pod_spec(r).securityContext.seccompProfile.type if not c.securityContext.seccompProfile
