# title: Namespaces carry team, cost-center and data-classification labels
# Messages that include a `concat` result are built with concat, not sprintf: rego-cpp (the
# cross-check engine) quotes such strings inside sprintf.
package admission.ns_required_labels

import rego.v1

import data.lib.k8s

required := ["team", "cost-center", "data-classification"]

violation contains {"msg": msg} if {
	k8s.obj.kind == "Namespace"
	labels := object.get(k8s.obj.metadata, "labels", {})
	missing := [l | some l in required; not labels[l]]
	count(missing) > 0
	msg := concat("", ["[ns-required-labels] ", k8s.name, ": missing label(s) ", concat(", ", missing)])
}
