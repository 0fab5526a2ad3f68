# title: Pods mount no hostPath volume
package admission.pod_no_host_path

import rego.v1

import data.lib.k8s

violation contains {"msg": msg} if {
	some v in object.get(k8s.pod_spec, "volumes", [])
	v.hostPath
	msg := sprintf("[pod-no-host-path] %s: volume %s mounts the host path %s", [k8s.name, v.name, v.hostPath.path])
}
