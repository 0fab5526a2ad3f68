# id: K8S-023
# title: Roles do not read secrets
# description: Checks the scanned resources (manifests). Expected: Roles do not read secrets. Give secret access to the one workload that needs it, by resourceNames.
# severity: medium
# remediation: Give secret access to the one workload that needs it, by resourceNames.
# fix: rules:
# fix:   - apiGroups: [""]
# fix:     resources: [secrets]
# fix:     resourceNames: [app-config]
# fix:     verbs: [get]
# references: CIS Kubernetes 5.1.2; NIST CSF PR.AC-4
package posture.rules.k8s_023

import rego.v1

import data.posture.lib

findings contains {"id": r.id, "message": sprintf("%s can %s every secret", [r.address, verb])} if {
	some t in ["Role", "ClusterRole"]
	some r in object.get(input.resources, t, [])
	some rule in object.get(r.config, "rules", [])
	"secrets" in object.get(rule, "resources", [])
	not rule.resourceNames
	some verb in object.get(rule, "verbs", [])
	verb in {"get", "list", "watch"}
}
