# title: Containers have a read-only root filesystem
package admission.pod_read_only_root_fs

import rego.v1

import data.lib.k8s

violation contains {"msg": msg} if {
	some c in k8s.containers
	not k8s.security(c).readOnlyRootFilesystem == true
	msg := sprintf("[pod-read-only-root-fs] %s: container %s has a writable root filesystem: set securityContext.readOnlyRootFilesystem: true", [k8s.name, c.name])
}
