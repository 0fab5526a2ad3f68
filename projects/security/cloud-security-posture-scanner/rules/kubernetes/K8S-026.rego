# id: K8S-026
# title: Namespaces with workloads have a NetworkPolicy
# description: Checks every Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) (manifests). Expected: Namespaces with workloads have a NetworkPolicy. Add a default-deny NetworkPolicy to the namespace and allow the traffic each workload needs.
# severity: medium
# remediation: Add a default-deny NetworkPolicy to the namespace and allow the traffic each workload needs.
# fix: apiVersion: networking.k8s.io/v1
# fix: kind: NetworkPolicy
# fix: metadata:
# fix:   name: default-deny
# fix: spec:
# fix:   podSelector: {}
# fix:   policyTypes: [Ingress, Egress]
# references: CIS Kubernetes 5.3.2; NIST CSF PR.AC-5
package posture.rules.k8s_026

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s: namespace %s has no NetworkPolicy in this manifest set", [r.address, ns])} if {
	some r in lib.workloads
	ns := object.get(r.config.metadata, "namespace", "default")
	not covered(r, ns)
}

covered(r, ns) if {
	some p in object.get(input.resources, "NetworkPolicy", [])
	p.unit == r.unit
	object.get(p.config.metadata, "namespace", "default") == ns
}
