# Shared helpers of the admission policies: the object under review, its pod template and
# containers, whatever the workload kind. A Gatekeeper library (package lib.*).
package lib.k8s

import rego.v1

obj := input.review.object

params := object.get(input, "parameters", {})

name := sprintf("%s/%s", [obj.kind, object.get(obj.metadata, "name", "?")])

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}

pod_spec := obj.spec if obj.kind == "Pod"

pod_spec := obj.spec.template.spec if obj.kind in workload_kinds

pod_spec := obj.spec.jobTemplate.spec.template.spec if obj.kind == "CronJob"

pod_labels := object.get(obj.metadata, "labels", {}) if obj.kind == "Pod"

pod_labels := object.get(object.get(obj.spec.template, "metadata", {}), "labels", {}) if obj.kind in workload_kinds

pod_labels := object.get(object.get(obj.spec.jobTemplate.spec.template, "metadata", {}), "labels", {}) if obj.kind == "CronJob"

# Every container: regular, init and ephemeral.
containers contains c if some c in object.get(pod_spec, "containers", [])

containers contains c if some c in object.get(pod_spec, "initContainers", [])

containers contains c if some c in object.get(pod_spec, "ephemeralContainers", [])

# The regular containers (probes apply to them only).
app_containers contains c if some c in object.get(pod_spec, "containers", [])

pod_security := object.get(pod_spec, "securityContext", {})

security(c) := object.get(c, "securityContext", {})
