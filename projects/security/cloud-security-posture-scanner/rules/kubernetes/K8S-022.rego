# id: K8S-022
# title: Roles grant no wildcard verbs or resources
# description: Checks the scanned resources (manifests). Expected: Roles grant no wildcard verbs or resources. Name the verbs and resources the role needs.
# severity: high
# remediation: Name the verbs and resources the role needs.
# fix: rules:
# fix:   - apiGroups: [""]
# fix:     resources: [pods]
# fix:     verbs: [get, list]
# checkov: CKV_K8S_49
# references: CIS Kubernetes 5.1.3; NIST CSF PR.AC-4
package posture.rules.k8s_022

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s grants * on %s", [r.address, field])} if {
	some t in ["Role", "ClusterRole"]
	some r in object.get(input.resources, t, [])
	some rule in object.get(r.config, "rules", [])
	some field in ["verbs", "resources", "apiGroups"]
	"*" in object.get(rule, field, [])
	field != "apiGroups"
}
