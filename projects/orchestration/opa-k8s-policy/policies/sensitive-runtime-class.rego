# title: Workloads labelled data-classification=sensitive use an allowed runtimeClassName
package admission.sensitive_runtime_class

import rego.v1

import data.lib.k8s

violation contains {"msg": msg} if {
	k8s.pod_labels["data-classification"] == "sensitive"
	allowed := object.get(k8s.params, "runtime_classes", [])
	class := object.get(k8s.pod_spec, "runtimeClassName", "(none)")
	not class in allowed
	msg := concat("", ["[sensitive-runtime-class] ", k8s.name, ": sensitive workload runs with runtimeClassName ", class, "; allowed: ", concat(", ", allowed)])
}
