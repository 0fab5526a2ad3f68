# id: K8S-005
# title: Only system subjects are bound to cluster-admin
# description: Checks every `ClusterRoleBinding` (manifests). Expected: Only system subjects are bound to cluster-admin. Bind a Role with the verbs and resources needed instead of cluster-admin.
# severity: high
# remediation: Bind a Role with the verbs and resources needed instead of cluster-admin.
# fix: roleRef:
# fix:   kind: Role
# fix:   name: app-reader
# references: CIS Kubernetes 5.1.1; NIST CSF PR.AC-4
package posture.rules.k8s_005

import rego.v1

import data.posture.lib

findings contains {"id": b.id, "message": sprintf("%s binds cluster-admin to %s %s", [b.address, s.kind, s.name])} if {
	some b in object.get(input.resources, "ClusterRoleBinding", [])
	b.config.roleRef.name == "cluster-admin"
	some s in object.get(b.config, "subjects", [])
	not startswith(s.name, "system:")
}
