# id: K8S-025
# title: Services are not exposed as NodePort
# description: Checks every `Service` (manifests). Expected: Services are not exposed as NodePort. Use ClusterIP behind an ingress or a LoadBalancer service.
# severity: low
# remediation: Use ClusterIP behind an ingress or a LoadBalancer service.
# fix: spec:
# fix:   type: ClusterIP
# references: NIST CSF PR.AC-5
package posture.rules.k8s_025

import rego.v1

import data.posture.lib

findings contains {"id": s.id, "message": sprintf("%s opens a port on every node", [s.address])} if {
	some s in object.get(input.resources, "Service", [])
	s.config.spec.type == "NodePort"
}
