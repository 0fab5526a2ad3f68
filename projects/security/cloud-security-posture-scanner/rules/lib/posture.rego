# Helpers shared by the built-in rules (and usable by yours).
package posture.lib

import rego.v1

# Resources of a type (empty when there are none).
of(t) := object.get(input.resources, t, [])

# Whether `ref`, an attribute of resource `x` (a Terraform reference such as
# "aws_s3_bucket.logs.id", or a literal name), points at resource `r` of the same scan unit.
refers(x, ref, r) if {
	x.unit == r.unit
	points(ref, r)
}

points(ref, r) if startswith(ref, concat("", [r.address, "."]))

points(ref, r) if ref == r.address

# References inside a module name the resource without the module prefix.
points(ref, r) if startswith(ref, concat("", [r["local"], "."]))

points(ref, r) if ref == object.get(r.config, "bucket", null)

points(ref, r) if ref == object.get(r.config, "name", null)

# The first element of a nested block list (`versioning_configuration[0]`), or {}.
block(obj, name) := b if {
	some b in object.get(obj, name, [])
} else := {}

# Kubernetes: the pod spec of a workload, and its containers.
workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}

pod_spec(r) := r.config.spec if r.type == "Pod"

pod_spec(r) := r.config.spec.template.spec if r.type in workload_kinds

pod_spec(r) := r.config.spec.jobTemplate.spec.template.spec if r.type == "CronJob"

workloads contains r if {
	some r in input.all
	r.source == "kubernetes"
	pod_spec(r)
}

containers(r) := array.concat(object.get(pod_spec(r), "containers", []), object.get(pod_spec(r), "initContainers", []))

# Security group ingress from the whole internet: (resource, from port, to port, cidr).
open_ingress contains [r, from, to, cidr] if {
	some r in of("aws_security_group")
	some rule in object.get(r.config, "ingress", [])
	some cidr in array.concat(object.get(rule, "cidr_blocks", []), object.get(rule, "ipv6_cidr_blocks", []))
	cidr in {"0.0.0.0/0", "::/0"}
	from := object.get(rule, "from_port", 0)
	to := object.get(rule, "to_port", 65535)
}

open_ingress contains [r, from, to, cidr] if {
	some r in of("aws_vpc_security_group_ingress_rule")
	some key in ["cidr_ipv4", "cidr_ipv6"]
	cidr := object.get(r.config, key, "")
	cidr in {"0.0.0.0/0", "::/0"}
	from := object.get(r.config, "from_port", 0)
	to := object.get(r.config, "to_port", 65535)
}

open_ingress contains [r, from, to, cidr] if {
	some r in of("aws_security_group_rule")
	r.config.type == "ingress"
	some cidr in array.concat(object.get(r.config, "cidr_blocks", []), object.get(r.config, "ipv6_cidr_blocks", []))
	cidr in {"0.0.0.0/0", "::/0"}
	from := object.get(r.config, "from_port", 0)
	to := object.get(r.config, "to_port", 65535)
}

# Whether a port range includes `port` (-1 or protocol "-1" means all ports).
covers(from, to, port) if {
	from <= port
	port <= to
}

covers(from, _, _) if from == -1
