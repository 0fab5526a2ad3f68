# title: Pods share no host namespace (network, PID, IPC)
package admission.pod_no_host_namespaces

import rego.v1

import data.lib.k8s

violation contains {"msg": msg} if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	k8s.pod_spec[field] == true
	msg := sprintf("[pod-no-host-namespaces] %s: %s is true", [k8s.name, field])
}
