# id: K8S-020
# title: Containers do not bind host ports
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Containers do not bind host ports. Remove hostPort; expose the pod through a Service.
# severity: medium
# remediation: Remove hostPort; expose the pod through a Service.
# fix: ports:
# fix:   - containerPort: 8080
# checkov: CKV_K8S_26
# references: CIS Kubernetes 5.2.13; NIST CSF PR.AC-5
package posture.rules.k8s_020

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: container %s binds host port %v", [r.address, c.name, p.hostPort])} if {
	some r in lib.workloads
	some c in lib.containers(r)
	some p in object.get(c, "ports", [])
	p.hostPort
}
